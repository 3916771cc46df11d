import CSQLite
import Foundation

/// The second baseline: SQLite in WAL mode with synchronous=FULL, one table of (seq, entry).
final class RawSQLite {
    private var db: OpaquePointer?
    private var insert: OpaquePointer?

    init(path: String) throws {
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw BenchError("SQLite: cannot open \(path)") }
        try exec("PRAGMA journal_mode=WAL")
        try exec("PRAGMA synchronous=FULL")
        try exec("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, entry BLOB NOT NULL)")
        guard sqlite3_prepare_v2(db, "INSERT INTO events (seq, entry) VALUES (?, ?)", -1, &insert, nil) == SQLITE_OK else {
            throw BenchError("SQLite: prepare failed")
        }
    }

    deinit {
        sqlite3_finalize(insert)
        sqlite3_close(db)
    }

    private func exec(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw BenchError("SQLite: \(String(cString: sqlite3_errmsg(db)))")
        }
    }

    /// Inserts values under first...first+count-1 in one durable transaction.
    func appendBatch(first: UInt64, values: ArraySlice<[UInt8]>) throws {
        try exec("BEGIN")
        var sequence = first
        for value in values {
            sqlite3_reset(insert)
            sqlite3_bind_int64(insert, 1, Int64(sequence))
            _ = value.withUnsafeBytes { sqlite3_bind_blob(insert, 2, $0.baseAddress, Int32($0.count), nil) }
            guard sqlite3_step(insert) == SQLITE_DONE else { throw BenchError("SQLite: insert failed") }
            sequence += 1
        }
        try exec("COMMIT")
    }

    /// Visits every entry in sequence order.
    func scan(_ body: (UnsafeRawBufferPointer) -> Void) throws {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, "SELECT entry FROM events ORDER BY seq", -1, &statement, nil) == SQLITE_OK else {
            throw BenchError("SQLite: prepare failed")
        }
        defer { sqlite3_finalize(statement) }
        while sqlite3_step(statement) == SQLITE_ROW {
            body(UnsafeRawBufferPointer(start: sqlite3_column_blob(statement, 0), count: Int(sqlite3_column_bytes(statement, 0))))
        }
    }
}
