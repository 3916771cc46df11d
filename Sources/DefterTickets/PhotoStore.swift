import Crypto
public import DefterDomain
public import DefterImages
public import DefterLog
public import Foundation

/// The photos attached to tickets, outside the log: one file per photo at
/// `photos/<citizen>/<sha256>.sealed`, sealed with AES-256-GCM under the citizen's key (faces
/// and number plates are personal data). Content-addressed within a citizen (the same photo twice
/// is one file); grouped by citizen because the key is, so erasure removes one folder.
/// A file is written to a temporary name, fsynced and renamed: it is whole or absent.
public struct PhotoStore: Sendable {
    /// The folder, `<data>/photos`.
    public let folder: URL
    let vault: KeyVault

    /// A store in `folder`, sealing with keys from `vault`.
    public init(folder: URL, vault: KeyVault) {
        self.folder = folder
        self.vault = vault
    }

    /// The lowercase hex SHA-256 of `bytes`: a photo's name and what `PhotoAttached` records.
    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    func file(_ sha256: String, of citizen: CitizenRef) -> URL {
        folder.appendingPathComponent(citizen.rawValue, isDirectory: true).appendingPathComponent("\(sha256).sealed")
    }

    /// Seals and stores `photo` for `citizen`; returns its SHA-256. Storing the same photo again
    /// changes nothing.
    @discardableResult
    public func store(_ photo: CleanPhoto, for citizen: CitizenRef) throws -> String {
        let sha = Self.sha256(photo.bytes)
        let target = file(sha, of: citizen)
        if FileManager.default.fileExists(atPath: target.path) { return sha }
        let key = try vault.key(citizen.rawValue) { PersonalDataSealer.randomBytes(32) }
        let box = try AES.GCM.seal(photo.bytes, using: SymmetricKey(data: key), authenticating: Self.aad(sha, citizen))
        guard let combined = box.combined else { throw SealingError.unsealable }
        let directory = target.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw PhotoStoreError(code: .io, message: "cannot create \(directory.path): \(error)")
        }
        try Self.writeDurably(Array(combined), to: target)
        return sha
    }

    /// The photo `sha256` of `citizen`, unsealed; nil when it is not stored or the citizen was erased.
    public func read(_ sha256: String, of citizen: CitizenRef) throws -> [UInt8]? {
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        guard let key = try vault.key(citizen.rawValue) else { return nil }
        guard let sealed = FileManager.default.contents(atPath: file(sha256, of: citizen).path) else { return nil }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            let bytes = Array(try AES.GCM.open(box, using: SymmetricKey(data: key), authenticating: Self.aad(sha256, citizen)))
            guard Self.sha256(bytes) == sha256 else { throw SealingError.damaged(citizen) }
            return bytes
        } catch {
            throw SealingError.damaged(citizen)
        }
    }

    /// Deletes every photo of `citizen`; the number deleted. (Their key is erased too, so a copy
    /// left in an old backup cannot be opened.)
    @discardableResult
    public func erase(_ citizen: CitizenRef) throws -> Int {
        let directory = folder.appendingPathComponent(citizen.rawValue, isDirectory: true)
        guard FileManager.default.fileExists(atPath: directory.path) else { return 0 }
        let count = (try? FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sealed") }.count) ?? 0
        do { try FileManager.default.removeItem(at: directory) } catch {
            throw PhotoStoreError(code: .io, message: "cannot delete \(directory.path): \(error)")
        }
        return count
    }

    private static func aad(_ sha256: String, _ citizen: CitizenRef) -> [UInt8] { Array("photo:\(citizen.rawValue):\(sha256)".utf8) }

    /// Writes to `<target>.tmp-<random>`, fsyncs, renames over `target` and fsyncs the folder.
    static func writeDurably(_ bytes: [UInt8], to target: URL) throws {
        let temporary = target.path + ".tmp-" + UUID().uuidString
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw PhotoStoreError(errno: errno, doing: "create \(temporary)") }
        var failure: PhotoStoreError?
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = PhotoStoreError(errno: errno, doing: "write \(temporary)")
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = PhotoStoreError(errno: errno, doing: "fsync \(temporary)") }
        close(descriptor)
        if failure == nil, rename(temporary, target.path) != 0 { failure = PhotoStoreError(errno: errno, doing: "rename \(temporary)") }
        if let failure {
            unlink(temporary)
            throw failure
        }
        let directory = open(target.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }
}

/// The photo store could not write or delete a file.
public struct PhotoStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable, Equatable {
        /// The disk is full (or over quota): nothing was stored.
        case storageFull
        /// Any other file-system failure.
        case io
    }

    public let code: Code
    public let message: String

    init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    init(errno number: Int32, doing what: String) {
        let full = number == ENOSPC || number == EDQUOT
        self.init(
            code: full ? .storageFull : .io,
            message: full
                ? "Disk dolu, fotoğraf kaydedilmedi / the disk is full: the photo was not stored (\(what)); free space and retry"
                : "cannot \(what): \(String(cString: strerror(number)))")
    }

    public var description: String { message }
}
