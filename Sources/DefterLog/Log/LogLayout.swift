internal import CLMDB
import Foundation

/// The names and key encodings of the log's LMDB databases (see `Schemas/log-format.md`).
enum LogLayout {
    /// The value of the `format` key in `meta` that marks a Defter log.
    static let formatMarker = "defter-log/1"

    static let meta = "meta"
    static let events = "events"
    static let streams = "streams"
    static let ids = "ids"
    static let merkle = "merkle"
    static let checkpoints = "checkpoints"
    static let all = [meta, events, streams, ids, merkle, checkpoints]

    /// 8-byte big-endian encoding of a sequence, version or index.
    @inline(__always)
    static func bigEndian(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    static func decodeBigEndian(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count == 8 else { return nil }
        var value: UInt64 = 0
        for byte in bytes { value = value << 8 | UInt64(byte) }
        return value
    }

    static func decodeBigEndian(_ bytes: [UInt8]) -> UInt64? {
        bytes.withUnsafeBytes { decodeBigEndian($0) }
    }

    /// `streams` key: stream name bytes, 0x00, 8-byte big-endian stream version.
    static func streamKey(_ stream: StreamID, version: UInt64) -> [UInt8] {
        var key = Array(stream.rawValue.utf8)
        key.append(0)
        key.append(contentsOf: bigEndian(version))
        return key
    }

    /// Whether `key` is the `merkle` key of `(level, index)`, without building the key.
    @inline(__always)
    static func isMerkleKey(_ key: UnsafeRawBufferPointer, level: Int, index: UInt64) -> Bool {
        guard key.count == 9, key[8] == UInt8(level) else { return false }
        return decodeBigEndian(UnsafeRawBufferPointer(rebasing: key[0..<8])) == ((index + 1) << UInt64(level)) - 1
    }

    /// Calls `body` with the 8-byte big-endian encoding of `value`, without an allocation.
    @inline(__always)
    static func withBigEndian<T>(_ value: UInt64, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try withUnsafeBytes(of: value.bigEndian, body)
    }

    /// Calls `body` with the `merkle` key of `(level, index)` (see `merkleKey`), without an allocation.
    @inline(__always)
    static func withMerkleKey<T>(level: Int, index: UInt64, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let key = ((((index + 1) << UInt64(level)) - 1).bigEndian, UInt8(level))
        return try withUnsafeBytes(of: key) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<9])) }
    }

    /// `merkle` key of the perfect node `(level, index)`: the 8-byte big-endian index of its last
    /// leaf, then the 1-byte level. Nodes are created in exactly this key order (by last leaf, then
    /// upwards), so every write appends and a verifier reads them back with one cursor.
    static func merkleKey(level: Int, index: UInt64) -> [UInt8] {
        var key = bigEndian(((index + 1) << UInt64(level)) - 1)
        key.append(UInt8(level))
        return key
    }
}

extension LMDBTransaction {
    /// The current version of `stream` (0 when the stream has no events).
    func streamVersion(_ stream: StreamID, in dbi: MDB_dbi) throws -> UInt64 {
        try (Array(stream.rawValue.utf8) + [0]).withUnsafeBytes { try streamVersion(keyPrefix: $0, in: dbi) }
    }

    /// The current version of the stream whose `streams` keys start with `keyPrefix` (the
    /// stream's bytes and 0x00): the version in the greatest such key, found without copying.
    func streamVersion(keyPrefix prefix: UnsafeRawBufferPointer, in dbi: MDB_dbi) throws -> UInt64 {
        var cursor: OpaquePointer?
        try lmdbCheck(mdb_cursor_open(pointer, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()
        // The greatest key <= the stream's key at the highest version.
        let rc = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: prefix.count + 8) { bound in
            _ = bound.initialize(from: prefix)
            bound[prefix.count...].initialize(repeating: 0xff)
            k = MDB_val(mv_size: bound.count, mv_data: UnsafeMutableRawPointer(bound.baseAddress))
            let found = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
            if found == MDB_NOTFOUND { return mdb_cursor_get(cursor, &k, &v, MDB_LAST) }
            guard found == 0 else { return found }
            let exact = k.mv_size == bound.count && memcmp(k.mv_data, bound.baseAddress!, bound.count) == 0
            return exact ? 0 : mdb_cursor_get(cursor, &k, &v, MDB_PREV)
        }
        if rc == MDB_NOTFOUND { return 0 }
        try lmdbCheck(rc, "mdb_cursor_get")
        let key = UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size)
        guard key.count == prefix.count + 8, memcmp(key.baseAddress!, prefix.baseAddress!, prefix.count) == 0 else { return 0 }
        return LogLayout.decodeBigEndian(UnsafeRawBufferPointer(rebasing: key[prefix.count...])) ?? 0
    }

    /// The stored perfect Merkle node `(level, index)`.
    func merkleNode(level: Int, index: UInt64, in dbi: MDB_dbi) throws -> MerkleHash {
        let key = LogLayout.merkleKey(level: level, index: index)
        guard let bytes = try get(dbi, key: key), let hash = MerkleHash(bytes: bytes) else {
            throw StorageError(
                .corrupted, "the Merkle node at level \(level), index \(index) is missing or damaged; run `defter log verify`")
        }
        return hash
    }
}
