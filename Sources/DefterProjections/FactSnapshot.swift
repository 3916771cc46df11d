import DefterDomain
import DefterLog
public import Foundation

/// The statistics facts at one checkpoint, kept in a file rather than in the process's memory:
/// what the public pages compute their figures from until the next checkpoint replaces it.
///
/// Held in memory, such a snapshot costs about 350 bytes a ticket and grows with the log (200 MB
/// at 600,000 tickets); this one is the facts' stored binary form in a file mapped read-only, so
/// the process's own memory between renders does not grow with the log (a render holds the facts
/// of its period while it runs: a year's report, the year's), and the kernel can drop the file's
/// pages under pressure and read them again. The file is the process's private cache: it is derived from the
/// statistics projection, never read by another process or after a restart, and removed when the
/// last copy of its snapshot goes (replaced by a newer one, or never used because a report read
/// again); the mapping outlives the name for a reader still using it.
///
/// The file: the 8 bytes `DFACTS01`, the tree size as 8 bytes big-endian, then each fact as its
/// length (4 bytes big-endian) and `TicketFact.binary`.
public struct FactSnapshot: Sendable {
    /// The checkpoint the facts are at: the statistics of entries 1...treeSize.
    public let treeSize: UInt64
    /// How many facts (tickets) it holds.
    public let count: Int
    /// Every distinct day (Europe/Istanbul) a fact's call fell on, ascending.
    public let days: [String]
    /// The file's name in the folder it was written to.
    public var fileName: String { file.url.lastPathComponent }
    /// The file's bytes, mapped.
    private let bytes: Data
    /// The file, removed when the last copy of this snapshot goes.
    private let file: OwnedFile

    /// A file removed when the last reference to it goes.
    private final class OwnedFile: Sendable {
        let url: URL
        init(_ url: URL) { self.url = url }
        deinit { try? FileManager.default.removeItem(at: url) }
    }

    static let magic = Array("DFACTS01".utf8)
    static let headerSize = 16

    /// Writes the facts of `worker` (a `stats` projection) to a new file in `folder`, with the
    /// checkpoint they are at, both read in one transaction of its store (the service's
    /// projections keep moving), and maps it.
    public static func write(_ worker: ProjectionWorker, into folder: URL) throws -> FactSnapshot {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("\(RandomUUID.make()).facts")
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw StorageError(.io, "cannot create \(url.path) for the public figures; check that the folder is writable")
        }
        // Removed on every path that does not hand the snapshot on.
        let file = OwnedFile(url)
        let handle = try FileHandle(forWritingTo: url)
        do {
            try write(worker, to: handle)
            try handle.close()
        } catch {
            try? handle.close()
            throw error
        }
        return try FactSnapshot(mapping: file)
    }

    /// Writes the header and every fact, read in one transaction with the checkpoint.
    private static func write(_ worker: ProjectionWorker, to handle: FileHandle) throws {
        try worker.store.read { reader in
            var buffer = magic
            buffer.reserveCapacity(1 << 20)
            buffer += ProjectionCodec.bigEndian(try ProjectionWorker.storedCheckpoint(reader))
            try reader.scan("facts") { _, value in
                withUnsafeBytes(of: UInt32(value.count).bigEndian) { buffer += $0 }
                buffer.append(contentsOf: value)
                if buffer.count >= 1 << 20 {
                    try handle.write(contentsOf: buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
                return true
            }
            try handle.write(contentsOf: buffer)
        }
    }

    /// Maps a file written by `write`, checking its frame (every fact's length within the file)
    /// and decoding each fact once for the days; the snapshot then owns the file.
    private init(mapping file: OwnedFile) throws {
        let bytes = try Data(contentsOf: file.url, options: .alwaysMapped)
        guard bytes.count >= Self.headerSize, Array(bytes.prefix(8)) == Self.magic else {
            throw StorageError(.corrupted, "\(file.url.path) is not a snapshot of the statistics facts")
        }
        self.bytes = bytes
        self.file = file
        treeSize = Self.bigEndian(bytes, at: 8, as: UInt64.self)
        var count = 0
        var days = Set<String>()
        try Self.forEach(in: bytes) { fact in
            count += 1
            days.insert(fact.day)
        }
        self.count = count
        self.days = days.sorted()
    }

    /// Maps an existing file written by `write`, which the snapshot then owns (removes when its
    /// last copy goes).
    init(mapping url: URL) throws {
        try self.init(mapping: OwnedFile(url))
    }

    /// Calls `body` with each fact, in ticket order.
    public func forEach(_ body: (TicketFact) throws -> Void) throws {
        try Self.forEach(in: bytes, body)
    }

    /// The facts `include` accepts, in ticket order.
    public func facts(where include: (TicketFact) -> Bool) throws -> [TicketFact] {
        var found: [TicketFact] = []
        try forEach { if include($0) { found.append($0) } }
        return found
    }

    private static func forEach(in bytes: Data, _ body: (TicketFact) throws -> Void) throws {
        var position = bytes.startIndex + headerSize
        while position < bytes.endIndex {
            guard bytes.endIndex - position >= 4 else { throw damaged() }
            let length = Int(bigEndian(bytes, at: position - bytes.startIndex, as: UInt32.self))
            position += 4
            guard bytes.endIndex - position >= length else { throw damaged() }
            try body(try TicketFact(binary: Array(bytes[position..<position + length])))
            position += length
        }
    }

    private static func damaged() -> StorageError {
        StorageError(.corrupted, "a snapshot of the statistics facts is cut short; the next checkpoint writes a new one")
    }

    /// The big-endian integer at `offset` bytes from the start of `bytes`.
    private static func bigEndian<Integer: FixedWidthInteger>(_ bytes: Data, at offset: Int, as: Integer.Type) -> Integer {
        Integer(bigEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Integer.self) })
    }
}
