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
        var ids = SortedRows(capacity: count)
        var streams = SortedRows(capacity: count)
        for bundle in bundles {
            bundle.keys.withUnsafeBytes { keys in
                for index in bundle.start..<bundle.entries.count {
                    let entry = bundle.entries[index]
                    let sequence = bundle.firstSequence + UInt64(index)
                    ids.add(UnsafeRawBufferPointer(rebasing: keys[entry.id]), sequence: sequence)
                    streams.add(UnsafeRawBufferPointer(rebasing: keys[entry.stream]), version: entry.streamVersion, sequence: sequence)
                }
            }
        }
        ids.sort()
        streams.sort()
        self.bundles = bundles
        self.ids = ids
        self.streams = streams
        self.count = count
    }
}

/// Index rows sorted by key, in LMDB's order (bytewise, a prefix first): the keys back to back
/// in one buffer, and for each row where its key is, its first eight bytes as a number (to
/// compare most rows without reading the buffer), and the sequence it points at.
struct SortedRows: Sendable {
    private var bytes: [UInt8] = []
    private var rows: [Row] = []

    private struct Row {
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

    mutating func sort() {
        bytes.withUnsafeBytes { all in
            rows.sort { a, b in
                if a.prefix != b.prefix { return a.prefix < b.prefix }
                let order = memcmp(all.baseAddress! + a.start, all.baseAddress! + b.start, min(a.count, b.count))
                return order != 0 ? order < 0 : a.count < b.count
            }
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
