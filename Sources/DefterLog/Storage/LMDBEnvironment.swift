internal import CLMDB
import Foundation
import Logging

/// One LMDB environment: a memory map over `data.mdb` in a folder, with named databases.
///
/// Transactions live inside one synchronous closure and are committed when it returns, aborted
/// when it throws. The map grows by itself when a write fills it.
final class LMDBEnvironment: @unchecked Sendable {
    // Safe to share between threads because: the environment handle is thread-safe in LMDB when
    // opened with MDB_NOTLS; every transaction is begun and finished inside one closure on one
    // thread; map resizes hold the exclusive side of `resizeLock` while every transaction holds
    // the shared side; `databases` is written only during `init`.
    private var handle: OpaquePointer?
    private let resizeLock = ReadWriteLock()
    /// A handful of named databases: a linear search with `==` (which compares the bytes of
    /// short names at once) beats hashing the name on every read and write.
    private var databases: [(name: String, dbi: MDB_dbi)] = []
    private let logger: Logger
    /// The folder holding `data.mdb` and `lock.mdb`.
    let path: String
    /// Whether the environment was opened read-only.
    let readOnly: Bool
    /// The largest the map may grow to.
    let maximumMapSize: Int

    /// Opens (and when `create` is set, creates) the environment and its named databases.
    init(
        path: String,
        databaseNames: [String],
        initialMapSize: Int,
        maximumMapSize: Int,
        readOnly: Bool,
        create: Bool,
        durable: Bool = true,
        logger: Logger
    ) throws {
        self.path = path
        self.readOnly = readOnly
        self.maximumMapSize = maximumMapSize
        self.logger = logger
        var env: OpaquePointer?
        try lmdbCheck(mdb_env_create(&env), "mdb_env_create")
        do {
            try lmdbCheck(mdb_env_set_maxdbs(env, MDB_dbi(databaseNames.count + 2)), "mdb_env_set_maxdbs")
            try lmdbCheck(mdb_env_set_mapsize(env, initialMapSize), "mdb_env_set_mapsize")
            try lmdbCheck(mdb_env_set_maxreaders(env, 254), "mdb_env_set_maxreaders")
            var flags = UInt32(MDB_NOTLS)
            // Only for stores that can be rebuilt from the log: commits skip fsync. A crashed
            // process loses nothing (the page cache survives it); a crashed machine may roll
            // the store back to an earlier commit, never to a torn one on an ordered file system.
            // (Not MDB_WRITEMAP, though it writes faster: with it, LMDB truncates the file to the
            // map of each process that opens it, under the map of another still writing, and a
            // crashed machine may leave a torn store.)
            if !durable { flags |= UInt32(MDB_NOSYNC) }
            if readOnly { flags |= UInt32(MDB_RDONLY) }
            try lmdbCheck(mdb_env_open(env, path, flags, 0o644), "mdb_env_open", path: path)
        } catch {
            mdb_env_close(env)
            throw error
        }
        handle = env
        var deadReaders: Int32 = 0
        if mdb_reader_check(env, &deadReaders) == 0, deadReaders > 0 {
            logger.notice("cleared stale readers left by dead processes", metadata: ["count": "\(deadReaders)"])
        }
        do {
            try openDatabases(databaseNames, create: create && !readOnly)
        } catch {
            mdb_env_close(env)
            handle = nil
            throw error
        }
    }

    deinit {
        close()
    }

    /// Closes the environment. Call only after every user of it has stopped.
    func close() {
        resizeLock.withExclusiveLock {
            if let handle {
                mdb_env_close(handle)
                self.handle = nil
            }
        }
    }

    private func openDatabases(_ names: [String], create: Bool) throws {
        // A handle opened in a read-only transaction survives only if that transaction commits.
        try withTransaction(write: create, commitReadOnly: true) { txn in
            // The transaction may run again (a map to grow): start afresh each time.
            databases.removeAll()
            for name in names {
                var dbi: MDB_dbi = 0
                let rc = mdb_dbi_open(txn.pointer, name, create ? UInt32(MDB_CREATE) : 0, &dbi)
                if rc == MDB_NOTFOUND {
                    throw StorageError(
                        .notALog, "\(path) holds an LMDB environment without Defter's '\(name)' database; it is not a Defter log")
                }
                if rc == MDB_INCOMPATIBLE {
                    throw StorageError(
                        .notALog, "\(path) holds an LMDB environment whose '\(name)' is not a database; it is not a Defter log")
                }
                try lmdbCheck(rc, "mdb_dbi_open", path: path)
                databases.append((name, dbi))
            }
        }
    }

    /// The handle of a named database opened at `init`.
    func database(_ name: String) -> MDB_dbi {
        guard let dbi = databases.first(where: { $0.name == name })?.dbi else {
            preconditionFailure("database \(name) was not declared when the environment was opened")
        }
        return dbi
    }

    /// Runs `body` in a read-only transaction over a consistent snapshot.
    func read<T>(_ body: (LMDBTransaction) throws -> T) throws -> T {
        try withTransaction(write: false, body)
    }

    /// Runs `body` in the write transaction and commits it durably when `body` returns.
    ///
    /// When the map is full, the transaction is aborted, the map doubled, and `body` run again
    /// from the start: `body` must not have effects outside the transaction.
    func write<T>(_ body: (LMDBTransaction) throws -> T) throws -> T {
        precondition(!readOnly, "write on a read-only environment")
        return try withTransaction(write: true, body)
    }

    private func withTransaction<T>(
        write: Bool, commitReadOnly: Bool = false, _ body: (LMDBTransaction) throws -> T
    ) throws -> T {
        while true {
            do {
                return try resizeLock.withSharedLock {
                    guard let handle else { throw StorageError(.closed, "the log at \(path) is closed") }
                    var txn: OpaquePointer?
                    try lmdbCheck(
                        mdb_txn_begin(handle, nil, write ? 0 : UInt32(MDB_RDONLY), &txn), "mdb_txn_begin", path: path)
                    let transaction = LMDBTransaction(pointer: txn!, environment: self, isWrite: write)
                    let result: T
                    do {
                        result = try body(transaction)
                    } catch {
                        mdb_txn_abort(txn)
                        throw error
                    }
                    if write || commitReadOnly {
                        try lmdbCheck(mdb_txn_commit(txn), "mdb_txn_commit", path: path)
                    } else {
                        mdb_txn_abort(txn)
                    }
                    return result
                }
            } catch let error as StorageError where error.code == MDB_MAP_FULL && write {
                try growMap()
            } catch let error as StorageError where error.code == MDB_MAP_RESIZED {
                try adoptMapSizeFromOtherProcess()
            }
        }
    }

    /// Runs `first` on this thread and `second` on a new thread, each in its own read-only
    /// transaction over the same snapshot, and returns both results once both are done.
    func readInParallel<A, B>(
        _ first: (LMDBTransaction) throws -> A, _ second: (LMDBTransaction) throws -> B
    ) throws -> (A, B) {
        try resizeLock.withSharedLock {
            guard let handle else { throw StorageError(.closed, "the log at \(path) is closed") }
            var one: OpaquePointer?
            var two: OpaquePointer?
            // Two transactions begun back to back may straddle a commit; retry until they agree.
            while true {
                try lmdbCheck(mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &one), "mdb_txn_begin", path: path)
                let rc = mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &two)
                if rc != 0 {
                    mdb_txn_abort(one)
                    try lmdbCheck(rc, "mdb_txn_begin", path: path)
                }
                if mdb_txn_id(one) == mdb_txn_id(two) { break }
                mdb_txn_abort(one)
                mdb_txn_abort(two)
            }
            defer {
                mdb_txn_abort(one)
                mdb_txn_abort(two)
            }
            let firstTransaction = LMDBTransaction(pointer: one!, environment: self, isWrite: false)
            let secondTransaction = LMDBTransaction(pointer: two!, environment: self, isWrite: false)
            return try withoutActuallyEscaping(second) { second in
                // The thread ends before this function returns, so the closure and the
                // transaction it uses never outlive this call; only that thread touches them.
                let work = UncheckedTransfer<(() throws -> B)?>({ try second(secondTransaction) })
                let done = DispatchSemaphore(value: 0)
                let outcome = UncheckedTransfer<Result<B, any Error>?>(nil)
                let thread = Thread {
                    do {
                        // Drop the last reference to `second` before signalling, so that it has
                        // not escaped when `withoutActuallyEscaping` checks.
                        let job = work.value!
                        work.value = nil
                        outcome.value = Result { try job() }
                    }
                    done.signal()
                }
                thread.start()
                let firstResult = Result { try first(firstTransaction) }
                done.wait()
                return (try firstResult.get(), try outcome.value!.get())
            }
        }
    }

    /// The current size of the memory map in bytes.
    var mapSize: Int {
        resizeLock.withSharedLock {
            guard let handle else { return 0 }
            var info = MDB_envinfo()
            mdb_env_info(handle, &info)
            return info.me_mapsize
        }
    }

    private func growMap() throws {
        try resizeLock.withExclusiveLock {
            guard let handle else { throw StorageError(.closed, "the log at \(path) is closed") }
            var info = MDB_envinfo()
            mdb_env_info(handle, &info)
            let current = info.me_mapsize
            guard current < maximumMapSize else {
                throw StorageError(
                    .diskFull,
                    "the log at \(path) reached its maximum map size of \(maximumMapSize) bytes; raise the limit or archive the log",
                    code: MDB_MAP_FULL, operation: "mdb_env_set_mapsize")
            }
            let grown = min(current * 2, maximumMapSize)
            try lmdbCheck(mdb_env_set_mapsize(handle, grown), "mdb_env_set_mapsize", path: path)
            logger.info("grew the LMDB map", metadata: ["from": "\(current)", "to": "\(grown)"])
        }
    }

    private func adoptMapSizeFromOtherProcess() throws {
        try resizeLock.withExclusiveLock {
            guard let handle else { throw StorageError(.closed, "the log at \(path) is closed") }
            try lmdbCheck(mdb_env_set_mapsize(handle, 0), "mdb_env_set_mapsize", path: path)
        }
    }

    /// Writes a compacted copy of the environment into `destination`, an existing empty folder.
    /// Safe while writers run: the copy is a consistent snapshot.
    func copyCompacted(to destination: String) throws {
        try resizeLock.withSharedLock {
            guard let handle else { throw StorageError(.closed, "the log at \(path) is closed") }
            try lmdbCheck(mdb_env_copy2(handle, destination, UInt32(MDB_CP_COMPACT)), "mdb_env_copy2", path: destination)
        }
    }
}

/// Carries a value to another thread whose lifetime the sender bounds (see `readInParallel`).
final class UncheckedTransfer<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

/// A transaction handed to a closure by `LMDBEnvironment.read` or `write`. Never store it:
/// it is valid only while the closure runs, and values read through it point into the map.
struct LMDBTransaction {
    let pointer: OpaquePointer
    unowned let environment: LMDBEnvironment
    let isWrite: Bool

    /// Looks `key` up; the bytes handed to `body` are valid only during the call.
    func withValue<T>(
        _ dbi: MDB_dbi, key: some ContiguousBytes, _ body: (UnsafeRawBufferPointer?) throws -> T
    ) throws -> T {
        try key.withUnsafeBytes { keyBytes in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            var v = MDB_val()
            let rc = mdb_get(pointer, dbi, &k, &v)
            if rc == MDB_NOTFOUND { return try body(nil) }
            try lmdbCheck(rc, "mdb_get")
            return try body(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
        }
    }

    /// Returns a copy of the value under `key`, or nil.
    func get(_ dbi: MDB_dbi, key: some ContiguousBytes) throws -> [UInt8]? {
        try withValue(dbi, key: key) { $0.map { Array($0) } }
    }

    /// Stores `value` under `key`. With `append`, the key must sort after every existing key.
    func put(_ dbi: MDB_dbi, key: some ContiguousBytes, value: some ContiguousBytes, append: Bool = false) throws {
        precondition(isWrite, "put in a read-only transaction")
        try key.withUnsafeBytes { keyBytes in
            try value.withUnsafeBytes { valueBytes in
                var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
                var v = MDB_val(mv_size: valueBytes.count, mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
                try lmdbCheck(mdb_put(pointer, dbi, &k, &v, append ? UInt32(MDB_APPEND) : 0), "mdb_put")
            }
        }
    }

    /// Stores `value` under `key` unless the key is already there; then returns the stored value,
    /// whose bytes are valid only until the transaction next writes.
    func putIfAbsent(_ dbi: MDB_dbi, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer? {
        precondition(isWrite, "put in a read-only transaction")
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        let rc = mdb_put(pointer, dbi, &k, &v, UInt32(MDB_NOOVERWRITE))
        if rc == MDB_KEYEXIST { return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size) }
        try lmdbCheck(rc, "mdb_put")
        return nil
    }

    /// Deletes the value under `key`; returns whether it existed.
    @discardableResult
    func delete(_ dbi: MDB_dbi, key: some ContiguousBytes) throws -> Bool {
        precondition(isWrite, "delete in a read-only transaction")
        return try key.withUnsafeBytes { keyBytes in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            let rc = mdb_del(pointer, dbi, &k, nil)
            if rc == MDB_NOTFOUND { return false }
            try lmdbCheck(rc, "mdb_del")
            return true
        }
    }

    /// The number of entries in a database.
    func count(_ dbi: MDB_dbi) throws -> Int {
        var stat = MDB_stat()
        try lmdbCheck(mdb_stat(pointer, dbi, &stat), "mdb_stat")
        return stat.ms_entries
    }

    /// Visits entries in key order starting at the first key >= `start` (or the first key), until
    /// `body` returns false. The buffers are valid only during each call.
    func scan(
        _ dbi: MDB_dbi, from start: [UInt8]? = nil,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        var cursor: OpaquePointer?
        try lmdbCheck(mdb_cursor_open(pointer, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()
        var rc: Int32
        if let start {
            rc = start.withUnsafeBytes { startBytes in
                k = MDB_val(mv_size: startBytes.count, mv_data: UnsafeMutableRawPointer(mutating: startBytes.baseAddress))
                return mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
            }
        } else {
            rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
        }
        try visit(cursor, rc, &k, &v, then: MDB_NEXT, body)
    }

    /// Visits entries in reverse key order from the last key, until `body` returns false. The
    /// buffers are valid only during each call.
    func scanBackward(_ dbi: MDB_dbi, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        var cursor: OpaquePointer?
        try lmdbCheck(mdb_cursor_open(pointer, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()
        let rc = mdb_cursor_get(cursor, &k, &v, MDB_LAST)
        try visit(cursor, rc, &k, &v, then: MDB_PREV, body)
    }

    /// Hands the entry the cursor is on (`rc` of placing it) to `body`, then moves it by `step`,
    /// until `body` returns false or the cursor runs out.
    private func visit(
        _ cursor: OpaquePointer?, _ rc: Int32, _ k: inout MDB_val, _ v: inout MDB_val, then step: MDB_cursor_op,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        var rc = rc
        while rc == 0 {
            let keep = try body(
                UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
                UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
            if !keep { return }
            rc = mdb_cursor_get(cursor, &k, &v, step)
        }
        if rc != MDB_NOTFOUND { try lmdbCheck(rc, "mdb_cursor_get") }
    }

    /// The greatest key that is <= `bound` (or the last key when `bound` is nil), with a copy of
    /// its value.
    func last(_ dbi: MDB_dbi, atMost bound: [UInt8]? = nil) throws -> (key: [UInt8], value: [UInt8])? {
        var cursor: OpaquePointer?
        try lmdbCheck(mdb_cursor_open(pointer, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()
        var rc: Int32
        if let bound {
            rc = bound.withUnsafeBytes { boundBytes in
                k = MDB_val(mv_size: boundBytes.count, mv_data: UnsafeMutableRawPointer(mutating: boundBytes.baseAddress))
                return mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
            }
            if rc == 0 {
                let found = Array(UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size))
                if found != bound { rc = mdb_cursor_get(cursor, &k, &v, MDB_PREV) }
            } else if rc == MDB_NOTFOUND {
                rc = mdb_cursor_get(cursor, &k, &v, MDB_LAST)
            }
        } else {
            rc = mdb_cursor_get(cursor, &k, &v, MDB_LAST)
        }
        if rc == MDB_NOTFOUND { return nil }
        try lmdbCheck(rc, "mdb_cursor_get")
        return (
            Array(UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size)),
            Array(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
        )
    }
}

@available(*, unavailable)
extension LMDBTransaction: Sendable {}

extension LMDBTransaction {
    /// Opens a cursor over `dbi`; close it (`LMDBCursor.close`) before the transaction ends.
    func openCursor(_ dbi: MDB_dbi) throws -> LMDBCursor {
        var pointer: OpaquePointer?
        try lmdbCheck(mdb_cursor_open(self.pointer, dbi, &pointer), "mdb_cursor_open")
        return LMDBCursor(pointer: pointer!)
    }

    /// Runs `body` with a cursor over `dbi`, closed when `body` returns.
    func withCursor<T>(_ dbi: MDB_dbi, _ body: (inout LMDBCursor) throws -> T) throws -> T {
        var pointer: OpaquePointer?
        try lmdbCheck(mdb_cursor_open(self.pointer, dbi, &pointer), "mdb_cursor_open")
        defer { mdb_cursor_close(pointer) }
        var cursor = LMDBCursor(pointer: pointer!)
        return try body(&cursor)
    }
}

/// A cursor handed to a closure by `withCursor`; its buffers are valid until it moves.
struct LMDBCursor {
    let pointer: OpaquePointer

    /// Closes a cursor from `LMDBTransaction.openCursor`.
    func close() { mdb_cursor_close(pointer) }

    /// Stores `value` under `key` in a write transaction. With `append` the key must sort after
    /// every existing key; a cursor left at the end by the previous append then spares LMDB the
    /// search from the root that `LMDBTransaction.put` makes every time.
    func put(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, append: Bool) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try lmdbCheck(mdb_cursor_put(pointer, &k, &v, append ? UInt32(MDB_APPEND) : 0), "mdb_cursor_put")
    }

    /// Moves to the first entry, or returns nil when the database is empty.
    mutating func first() throws -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
        try move(MDB_FIRST)
    }

    /// Moves to the next entry, or returns nil past the last one.
    mutating func next() throws -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
        try move(MDB_NEXT)
    }

    private mutating func move(_ op: MDB_cursor_op) throws -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
        var k = MDB_val()
        var v = MDB_val()
        let rc = mdb_cursor_get(pointer, &k, &v, op)
        if rc == MDB_NOTFOUND { return nil }
        try lmdbCheck(rc, "mdb_cursor_get")
        return (UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size), UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }
}

@available(*, unavailable)
extension LMDBCursor: Sendable {}
