import Crypto
public import Foundation
public import Logging

/// A small embedded key-value store with named databases, one LMDB environment in its own
/// folder: what projections keep their state in. Keys and values are bytes; keys sort bytewise.
///
/// Reads run concurrently over consistent snapshots; writes are serialised and each `write`
/// closure is one atomic transaction. A store opened non-durable skips fsync on commit: use that
/// only for state that can be rebuilt (a projection can always be replayed from the log).
public final class KeyValueStore: Sendable {
    /// The store's folder.
    public let folder: URL
    /// The databases it holds.
    public let databases: [String]
    private let environment: LMDBEnvironment
    private let writeLock = NSLock()

    /// Opens (creating when missing) a store in `folder` with the named databases.
    public static func open(
        at folder: URL, databases: [String], durable: Bool = true, readOnly: Bool = false,
        logger: Logger = .warningsOnly("defter.store")
    ) throws -> KeyValueStore {
        let files = FileManager.default
        let exists = files.fileExists(atPath: folder.appendingPathComponent("data.mdb").path)
        if !exists {
            guard !readOnly else { throw StorageError(.missing, "there is no store at \(folder.path)") }
            do {
                try files.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw StorageError(.io, "cannot create the store folder \(folder.path): \(error.localizedDescription)")
            }
        }
        let environment = try LMDBEnvironment(
            path: folder.path, databaseNames: databases, initialMapSize: 16 << 20, maximumMapSize: 1 << 40, readOnly: readOnly,
            create: !readOnly, durable: durable, logger: logger)
        return KeyValueStore(folder: folder, databases: databases, environment: environment)
    }

    private init(folder: URL, databases: [String], environment: LMDBEnvironment) {
        self.folder = folder
        self.databases = databases
        self.environment = environment
    }

    /// Runs `body` over a consistent snapshot.
    public func read<T>(_ body: (StoreReader) throws -> T) throws -> T {
        try environment.read { txn in try body(StoreReader(txn: txn, environment: environment)) }
    }

    /// Runs `body` in one atomic write transaction, committed when it returns and abandoned
    /// when it throws.
    public func write<T>(_ body: (StoreWriter) throws -> T) throws -> T {
        writeLock.lock()
        defer { writeLock.unlock() }
        return try environment.write { txn in try body(StoreWriter(reader: StoreReader(txn: txn, environment: environment))) }
    }

    /// A SHA-256 over every database's name and every key and value in order: equal digests mean
    /// equal contents.
    public func digest(excluding excluded: Set<String> = []) throws -> String {
        try read { reader in
            var hasher = SHA256()
            for name in databases.sorted() where !excluded.contains(name) {
                hasher.update(data: Array("db:\(name)\n".utf8))
                try reader.scan(name) { key, value in
                    var lengths = (UInt32(key.count).bigEndian, UInt32(value.count).bigEndian)
                    withUnsafeBytes(of: &lengths) { hasher.update(bufferPointer: $0) }
                    hasher.update(data: key)
                    hasher.update(data: value)
                    return true
                }
            }
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        }
    }

    /// Closes the store. Call only after every user of it has stopped.
    public func close() {
        environment.close()
    }
}

/// Read access inside `KeyValueStore.read` (or a write). Never store it.
public struct StoreReader {
    let txn: LMDBTransaction
    let environment: LMDBEnvironment

    /// The value under `key` in `database`, or nil.
    public func get(_ database: String, _ key: [UInt8]) throws -> [UInt8]? {
        try txn.get(environment.database(database), key: key)
    }

    /// Visits `database` in key order from the first key >= `start`, until `body` returns false.
    public func scan(_ database: String, from start: [UInt8]? = nil, _ body: ([UInt8], [UInt8]) throws -> Bool) throws {
        try txn.scan(environment.database(database), from: start) { key, value in try body(Array(key), Array(value)) }
    }

    /// How many entries `database` holds.
    public func count(_ database: String) throws -> Int {
        try txn.count(environment.database(database))
    }
}

/// Write access inside `KeyValueStore.write`. Never store it.
public struct StoreWriter {
    /// Reads see this transaction's own writes.
    public let reader: StoreReader

    /// Stores `value` under `key` in `database`.
    public func put(_ database: String, _ key: [UInt8], _ value: [UInt8]) throws {
        try reader.txn.put(reader.environment.database(database), key: key, value: value)
    }

    /// Deletes `key` from `database`; returns whether it existed.
    @discardableResult
    public func delete(_ database: String, _ key: [UInt8]) throws -> Bool {
        try reader.txn.delete(reader.environment.database(database), key: key)
    }

    /// Deletes every entry of `database`.
    public func clear(_ database: String) throws {
        var keys: [[UInt8]] = []
        try reader.scan(database) { key, _ in
            keys.append(key)
            return true
        }
        for key in keys { try delete(database, key) }
    }

    public func get(_ database: String, _ key: [UInt8]) throws -> [UInt8]? { try reader.get(database, key) }
    public func scan(_ database: String, from start: [UInt8]? = nil, _ body: ([UInt8], [UInt8]) throws -> Bool) throws {
        try reader.scan(database, from: start, body)
    }
}

@available(*, unavailable)
extension StoreReader: Sendable {}

@available(*, unavailable)
extension StoreWriter: Sendable {}

extension EventLog {
    /// Suspends until the log holds entries beyond `sequence`; returns false when the log closed.
    public func waitForCommits(beyond sequence: UInt64) async -> Bool {
        await notifier.wait(beyond: sequence)
    }
}
