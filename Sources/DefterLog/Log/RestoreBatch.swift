import Foundation

/// Entry bundles to append to a copy of their log (`EventLog.restore(_:)`), with the index rows
/// they add already sorted by key: work done on the caller's thread, so that the log's single
/// writer only walks them.
public struct RestoreBatch: Sendable {
    /// The bundles, in order.
    let bundles: [EntryBundle]
    /// The `ids` rows: each entry's id, pointing at its sequence.
    let ids: SortedRows
    /// The `streams` rows: each entry's stream, 0x00 and big-endian version, pointing at its sequence.
    let streams: SortedRows
    /// How many entries the batch appends.
    public let count: Int

    /// The entries of `bundles` that `EntryBundle.after(_:)` left, in order.
    public init(_ bundles: [EntryBundle]) {
        let count = bundles.reduce(0) { $0 + $1.count }
        var rows = IndexRows(capacity: count)
        for bundle in bundles {
            bundle.keys.withUnsafeBytes { keys in
                for index in bundle.start..<bundle.entries.count {
                    let entry = bundle.entries[index]
                    rows.add(
                        id: UnsafeRawBufferPointer(rebasing: keys[entry.id]), stream: UnsafeRawBufferPointer(rebasing: keys[entry.stream]),
                        version: entry.streamVersion, sequence: bundle.firstSequence + UInt64(index))
                }
            }
        }
        rows.sort()
        self.bundles = bundles
        self.ids = rows.ids
        self.streams = rows.streams
        self.count = count
    }
}

/// The `ids` and `streams` rows of entries, gathered one entry at a time, then sorted: what a
/// `RestoreBatch` holds, and what a log builds for rows it deferred (`DeferredIndexes`).
struct IndexRows {
    /// Each entry's id, pointing at its sequence.
    private(set) var ids: SortedRows
    /// Each entry's stream, 0x00 and big-endian version, pointing at its sequence.
    private(set) var streams: SortedRows

    init(capacity: Int) {
        ids = SortedRows(capacity: capacity)
        streams = SortedRows(capacity: capacity)
    }

    /// The rows of the entry `sequence`: version `version` of `stream`, with the id `id`.
    mutating func add(id: UnsafeRawBufferPointer, stream: UnsafeRawBufferPointer, version: UInt64, sequence: UInt64) {
        ids.add(id, sequence: sequence)
        streams.add(stream, version: version, sequence: sequence)
    }

    /// Sorts both by key and hashes their keys (a stream's without its version), so that a log
    /// deferring its rows only probes its tables with them.
    mutating func sort() {
        ids.sort()
        streams.sort()
        ids.hashKeys()
        streams.hashKeys(ignoringLast: 8)
    }
}

/// Index rows sorted by key, in LMDB's order (bytewise, a prefix first): the keys back to back
/// in one buffer, and for each row where its key is, its first eight bytes as a number (to
/// compare most rows without reading the buffer), and the sequence it points at.
struct SortedRows: Sendable {
    private var bytes: [UInt8] = []
    private var rows: [Row] = []
    /// Each row's `KeyTable.hash` of its key (less `ignoringLast` bytes), once `hashKeys` ran.
    private var hashes: [UInt64] = []

    struct Row {
        let prefix: UInt64
        let start: Int
        let count: Int
        let sequence: UInt64
    }

    init(capacity: Int) {
        rows.reserveCapacity(capacity)
        bytes.reserveCapacity(capacity * 48)
    }

    /// A row whose key is `key`.
    mutating func add(_ key: UnsafeRawBufferPointer, sequence: UInt64) {
        rows.append(Row(prefix: Self.prefix(key), start: bytes.count, count: key.count, sequence: sequence))
        bytes.append(contentsOf: key)
    }

    /// A `streams` row: the stream, a 0x00 byte, the big-endian version.
    mutating func add(_ stream: UnsafeRawBufferPointer, version: UInt64, sequence: UInt64) {
        let start = bytes.count
        bytes.append(contentsOf: stream)
        bytes.append(0)
        withUnsafeBytes(of: version.bigEndian) { bytes.append(contentsOf: $0) }
        bytes.withUnsafeBytes { all in
            let key = UnsafeRawBufferPointer(rebasing: all[start...])
            rows.append(Row(prefix: Self.prefix(key), start: start, count: key.count, sequence: sequence))
        }
    }

    /// The first eight bytes as a big-endian number, zeros after a shorter key: keys whose
    /// prefixes differ compare as their prefixes do.
    private static func prefix(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<8 { value = value << 8 | UInt64(index < key.count ? key[index] : 0) }
        return value
    }

    /// How many rows there are.
    var count: Int { rows.count }

    mutating func sort() {
        bytes.withUnsafeBytes { all in
            rows.sort { View.precedes($0, in: all, $1, in: all) }
        }
    }

    /// Hashes each row's key but its last `ignoringLast` bytes (`KeyTable.hash`), in row order.
    mutating func hashKeys(ignoringLast suffix: Int = 0) {
        hashes = withView { view in
            (0..<view.count).map { row in
                let key = view.key(row)
                return KeyTable.hash(UnsafeRawBufferPointer(rebasing: key[..<(key.count - suffix)]))
            }
        }
    }

    /// Calls `body` with a view that reads the rows and their keys in place.
    func withView<T>(_ body: (View) throws -> T) rethrows -> T {
        try bytes.withUnsafeBytes { all in
            try rows.withUnsafeBufferPointer { rows in
                try hashes.withUnsafeBufferPointer { try body(View(bytes: all, rows: rows, hashes: $0)) }
            }
        }
    }

    /// The rows, in key order, read in place; valid only inside `withView`.
    struct View {
        let bytes: UnsafeRawBufferPointer
        let rows: UnsafeBufferPointer<Row>
        let hashes: UnsafeBufferPointer<UInt64>

        var count: Int { rows.count }

        /// The hash of row `index`'s key, from `hashKeys`.
        @inline(__always)
        func hash(_ index: Int) -> UInt64 { hashes[index] }

        /// The key of row `index`.
        @inline(__always)
        func key(_ index: Int) -> UnsafeRawBufferPointer {
            let row = rows[index]
            return UnsafeRawBufferPointer(rebasing: bytes[row.start..<(row.start + row.count)])
        }

        /// The sequence row `index` points at.
        @inline(__always)
        func sequence(_ index: Int) -> UInt64 { rows[index].sequence }

        /// Whether row `a` of `aBytes` sorts before row `b` of `bBytes`.
        @inline(__always)
        static func precedes(_ a: Row, in aBytes: UnsafeRawBufferPointer, _ b: Row, in bBytes: UnsafeRawBufferPointer) -> Bool {
            if a.prefix != b.prefix { return a.prefix < b.prefix }
            // Equal prefixes: the keys' first eight bytes (or all of the shorter) are the same.
            // Keys share long beginnings ("call:demo-2025-..."): compare the rest eight bytes at a
            // time here rather than call memcmp for each pair.
            let (x, y) = (aBytes.baseAddress! + a.start, bBytes.baseAddress! + b.start)
            let common = min(a.count, b.count)
            var offset = min(8, common)
            while offset + 8 <= common {
                let (p, q) = (
                    x.loadUnaligned(fromByteOffset: offset, as: UInt64.self).bigEndian,
                    y.loadUnaligned(fromByteOffset: offset, as: UInt64.self).bigEndian
                )
                if p != q { return p < q }
                offset += 8
            }
            while offset < common {
                let (p, q) = (x.load(fromByteOffset: offset, as: UInt8.self), y.load(fromByteOffset: offset, as: UInt8.self))
                if p != q { return p < q }
                offset += 1
            }
            return a.count < b.count
        }

        /// Whether row `index` sorts before row `other` of `view`.
        @inline(__always)
        func precedes(_ index: Int, _ other: Int, of view: View) -> Bool {
            Self.precedes(rows[index], in: bytes, view.rows[other], in: view.bytes)
        }
    }

    /// Visits the rows in key order, each with the key before it.
    func inOrder(_ body: (UnsafeRawBufferPointer, UInt64, UnsafeRawBufferPointer?) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { all in
            var previous: UnsafeRawBufferPointer?
            for row in rows {
                let key = UnsafeRawBufferPointer(rebasing: all[row.start..<(row.start + row.count)])
                try body(key, row.sequence, previous)
                previous = key
            }
        }
    }
}
