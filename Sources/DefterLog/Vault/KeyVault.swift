public import Foundation
public import Logging

/// A small store of secret keys, kept in its own LMDB environment (a `vault` folder beside the
/// log) so that a key can be destroyed without touching the log: the log holds only ciphertext
/// and key ids, and erasing a key makes that ciphertext unreadable while the log's bytes, and so
/// its proofs, stay as they were.
///
/// Erasing compacts the vault into a new file and replaces the old one, so the erased key does
/// not linger in a freed page.
///
/// Lookups and key creation share the vault (LMDB serialises its writers and never blocks its
/// readers); only erasing and closing, which replace or drop the environment, hold it alone. A
/// lookup therefore never waits behind a commit's fsync: with a plain mutex it did, and on a
/// two-core machine two such waits stopped every task of the cooperative pool.
public final class KeyVault: @unchecked Sendable {
    // Safe to share: `environment` is read under `lock`'s shared side and replaced only under its
    // exclusive side.
    /// The vault's folder.
    public let folder: URL
    private let lock = ReadWriteLock()
    private var environment: LMDBEnvironment?
    private let logger: Logger
    /// Keys handed out for sealing and not yet stored (`provisionalKey(_:creatingWith:)`).
    let provisional = ProvisionalKeys()

    private static let keysDatabase = "keys"

    /// Opens (creating when missing) the vault in `folder`.
    public static func open(at folder: URL, logger: Logger = .warningsOnly("defter.vault")) throws -> KeyVault {
        try KeyVault(folder: folder, logger: logger)
    }

    private init(folder: URL, logger: Logger) throws {
        self.folder = folder
        self.logger = logger
        try Self.prepareFolder(folder)
        environment = try Self.openEnvironment(folder, logger: logger)
    }

    private static func prepareFolder(_ folder: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw StorageError(.notALog, "\(folder.path) is a file, not a key vault folder") }
            return
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StorageError(.io, "cannot create the key vault \(folder.path): \(error.localizedDescription)")
        }
    }

    private static func openEnvironment(_ folder: URL, logger: Logger) throws -> LMDBEnvironment {
        let exists = FileManager.default.fileExists(atPath: folder.appendingPathComponent("data.mdb").path)
        return try LMDBEnvironment(
            path: folder.path, databaseNames: [keysDatabase], initialMapSize: 1 << 20, maximumMapSize: 1 << 34,
            readOnly: false, create: !exists, logger: logger)
    }

    private func withEnvironment<T>(_ body: (LMDBEnvironment) throws -> T) throws -> T {
        try lock.withSharedLock {
            guard let environment else { throw StorageError(.closed, "the key vault at \(folder.path) is closed") }
            return try body(environment)
        }
    }

    func withEnvironmentForBulk<T>(_ body: (LMDBEnvironment) throws -> T) throws -> T {
        try withEnvironment(body)
    }

    /// The key stored under `id`, or nil when there is none (never created, or erased).
    public func key(_ id: String) throws -> [UInt8]? {
        try withEnvironment { environment in
            let dbi = environment.database(Self.keysDatabase)
            return try environment.read { txn in try txn.get(dbi, key: Array(id.utf8)) }
        }
    }

    /// The key stored under `id`, created with `make` when missing. The write is durable before
    /// the key is returned, so nothing is ever sealed under a key that could be lost.
    public func key(_ id: String, creatingWith make: () -> [UInt8]) throws -> [UInt8] {
        let created = try withEnvironment { environment in
            let dbi = environment.database(Self.keysDatabase)
            return try environment.write { txn -> (key: [UInt8], new: Bool) in
                if let existing = try txn.get(dbi, key: Array(id.utf8)) { return (existing, false) }
                // A provisional key under `id` is the one to store; else this one is claimed as
                // provisional until it is stored, so that intake meanwhile seals under it too.
                let fresh = provisional.claim(id, make())
                try txn.put(dbi, key: Array(id.utf8), value: fresh)
                return (fresh, true)
            }
        }
        if created.new { provisional.release([id: created.key]) }
        return created.key
    }

    /// Destroys the key under `id` and compacts the vault so that no copy of it remains in the
    /// vault's file. Returns whether the key existed.
    @discardableResult
    public func erase(_ id: String) throws -> Bool {
        // A key not stored yet is dropped first: it is never stored, and what was sealed under it
        // stays unreadable, as erased data must.
        let wasProvisional = provisional.drop(id)
        let wasStored = try lock.withExclusiveLock {
            guard let current = environment else { throw StorageError(.closed, "the key vault at \(folder.path) is closed") }
            let dbi = current.database(Self.keysDatabase)
            let existed = try current.write { txn in try txn.delete(dbi, key: Array(id.utf8)) }
            let staging = folder.deletingLastPathComponent().appendingPathComponent(".vault-compact-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(at: staging) }
            try current.copyCompacted(to: staging.path)
            current.close()
            environment = nil
            let target = folder.appendingPathComponent("data.mdb")
            // rename(2) replaces the old file atomically; its blocks are freed with it.
            guard rename(staging.appendingPathComponent("data.mdb").path, target.path) == 0 else {
                let reason = String(cString: strerror(errno))
                environment = try Self.openEnvironment(folder, logger: logger)
                throw StorageError(.io, "cannot replace the vault file \(target.path): \(reason)")
            }
            environment = try Self.openEnvironment(folder, logger: logger)
            logger.info("erased a key and compacted the vault")
            return existed
        }
        return wasStored || wasProvisional
    }

    /// Closes the vault.
    public func close() {
        lock.withExclusiveLock {
            environment?.close()
            environment = nil
        }
    }
}

extension KeyVault {
    /// The keys stored under `ids`, creating the missing ones with `make`, in one durable
    /// transaction (for bulk intake).
    public func keys(_ ids: [String], creatingWith make: () -> [UInt8]) throws -> [String: [UInt8]] {
        var created: [String: [UInt8]] = [:]
        let keys = try withEnvironmentForBulk { environment in
            let dbi = environment.database("keys")
            return try environment.write { txn in
                created = [:]
                var keys: [String: [UInt8]] = [:]
                for id in ids {
                    if let existing = try txn.get(dbi, key: Array(id.utf8)) {
                        keys[id] = existing
                    } else {
                        // As in `key(_:creatingWith:)`: claimed, so that intake seals under it too.
                        let fresh = provisional.claim(id, make())
                        try txn.put(dbi, key: Array(id.utf8), value: fresh)
                        keys[id] = fresh
                        created[id] = fresh
                    }
                }
                return keys
            }
        }
        provisional.release(created)
        return keys
    }
}
