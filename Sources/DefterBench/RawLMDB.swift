import CLMDB
import Foundation

/// The baseline: the same writes and reads straight through LMDB's C API, no Defter in between.
/// This is the one place outside DefterLog that sees LMDB, and it is a measuring stick only.
final class RawLMDB {
    private var env: OpaquePointer?
    private var dbi: MDB_dbi = 0
    private var tables: [MDB_dbi] = []

    /// One row to put: which of the `tables`, its key and value, and whether it may append.
    struct Row {
        let table: Int
        let key: [UInt8]
        let value: [UInt8]
        let append: Bool
    }

    init(path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try check(mdb_env_create(&env))
        try check(mdb_env_set_maxdbs(env, 8))
        try check(mdb_env_set_mapsize(env, 8 << 30))
        try check(mdb_env_open(env, path, UInt32(MDB_NOTLS), 0o644))
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, 0, &txn))
        try check(mdb_dbi_open(txn, "events", UInt32(MDB_CREATE), &dbi))
        for name in ["rows-events", "rows-streams", "rows-ids", "rows-merkle"] {
            var table: MDB_dbi = 0
            try check(mdb_dbi_open(txn, name, UInt32(MDB_CREATE), &table))
            tables.append(table)
        }
        try check(mdb_txn_commit(txn))
    }

    /// Puts `rows` in one durable transaction.
    func putRows(_ rows: ArraySlice<Row>) throws {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, 0, &txn))
        for row in rows {
            try row.key.withUnsafeBytes { key in
                try row.value.withUnsafeBytes { value in
                    var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
                    var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
                    try check(mdb_put(txn, tables[row.table], &k, &v, row.append ? UInt32(MDB_APPEND) : 0))
                }
            }
        }
        try check(mdb_txn_commit(txn))
    }

    deinit { mdb_env_close(env) }

    private func check(_ rc: Int32) throws {
        guard rc == 0 else { throw BenchError("LMDB: \(String(cString: mdb_strerror(rc)))") }
    }

    /// Appends values under keys first...first+count-1 in one durable transaction.
    func appendBatch(first: UInt64, values: ArraySlice<[UInt8]>) throws {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, 0, &txn))
        var sequence = first
        for value in values {
            var keyBytes = sequence.bigEndian
            try withUnsafeMutableBytes(of: &keyBytes) { key in
                try value.withUnsafeBytes { bytes in
                    var k = MDB_val(mv_size: 8, mv_data: key.baseAddress)
                    var v = MDB_val(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                    try check(mdb_put(txn, dbi, &k, &v, UInt32(MDB_APPEND)))
                }
            }
            sequence += 1
        }
        try check(mdb_txn_commit(txn))
    }

    /// Visits every value in key order.
    func scan(_ body: (UnsafeRawBufferPointer) -> Void) throws {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn))
        defer { mdb_txn_abort(txn) }
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, dbi, &cursor))
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()
        var rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
        while rc == 0 {
            body(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
            rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)
        }
    }
}
