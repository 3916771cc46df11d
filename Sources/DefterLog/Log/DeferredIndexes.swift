internal import CLMDB
import Foundation

/// The `ids` and `streams` rows of entries an empty log took without them
/// (`EventLog.restore(_:deferringIndexes:)`): a mirror catching up from nothing, whose commits
/// would otherwise rewrite both B-trees of random keys again and again, writes them once, merged
/// in key order, in LMDB's append mode, when `EventLog.finishDeferredIndexes()` asks or any other
/// write comes.
///
/// Each batch's rows stay in memory as the batch sorted them (a run), and each batch is checked
/// as it joins, exactly as the indexes would check it: each id new, each stream's versions 1, 2,
/// 3... at rising sequences. Two hash tables make that check cost the batch's size, not the
/// rows held: every deferred id, and every stream with its latest row. A refused batch changes
/// nothing. While rows are deferred, `meta` holds `indexes-pending-from` (`Schemas/log-format.md`),
/// committed with the first entries that lack them; a log opened for writing with that key
/// builds the rows from its entries before anything else (`buildIfPending`), so a crash loses
/// no index row.
///
/// Changes since `commit()` can be taken back (`rollback()`), for a transaction that fails or
/// is written again.
struct DeferredIndexes {
    /// The `meta` key marking that entries from the stored sequence on have no index rows yet.
    static let pendingKey = Array("indexes-pending-from".utf8)
    /// Rows held at most before they are written anyway, bounding the memory they take (about
    /// 130 bytes a row): a year of a city is about 1.2 million entries.
    static let maximumRows = 1 << 21
    /// Runs held at most: callers deferring many small batches gain little, and the final merge
    /// visits every run for every row.
    static let maximumRuns = 32

    private var idRuns: [SortedRows] = []
    private var streamRuns: [SortedRows] = []
    /// Every deferred id: where its row is.
    private var ids = KeyTable()
    /// Every deferred stream (its key up to the version): where its latest row is.
    private var streams = KeyTable()
    /// How many runs the last `commit()` kept.
    private var committedRuns = 0

    /// How many entries' rows are held.
    private(set) var count = 0
    /// Whether another batch would pass `maximumRows` or `maximumRuns`, so the rows should be written.
    var isFull: Bool { count >= Self.maximumRows || idRuns.count >= Self.maximumRuns }

    /// A batch's rows, checked against the rows held (`check`), ready to join them (`add`).
    struct Checked {
        fileprivate let ids: SortedRows
        fileprivate let streams: SortedRows
    }

    /// Checks the sorted rows of entries `first`... (`ids` and `streams`, one of each an entry)
    /// against the rows held and each other, as the indexes would; throws
    /// `AppendError.invalidEvent` naming the first refused entry.
    func check(ids batchIDRows: SortedRows, streams batchStreamRows: SortedRows, first: UInt64) throws -> Checked {
        func refuse(_ sequence: UInt64, _ reason: String) -> AppendError {
            .invalidEvent(index: sequence >= first ? Int(sequence - first) : 0, reason: "entry \(sequence): \(reason)")
        }
        let (idRuns, streamRuns) = (self.idRuns, self.streamRuns)
        try batchIDRows.withView { batchIDs in
            for row in 0..<batchIDs.count {
                let key = batchIDs.key(row)
                let hash = batchIDs.hash(row)
                // Equal keys have equal hashes: most neighbours differ there, unread.
                let repeated = row > 0 && batchIDs.hash(row - 1) == hash && Self.same(batchIDs.key(row - 1), key)
                guard !repeated, ids.place(of: hash, where: { Self.key(at: $0, in: idRuns, equals: key) }) == nil else {
                    throw refuse(batchIDs.sequence(row), "its id '\(String(decoding: key, as: UTF8.self))' is already recorded")
                }
            }
        }
        // Sorted, a stream's rows in the batch are together, by version: the first must follow
        // the stream's latest deferred row, each next one the row before it.
        try batchStreamRows.withView { batchStreams in
            var expected: (version: UInt64, after: UInt64) = (1, 0)
            for row in 0..<batchStreams.count {
                let key = batchStreams.key(row)
                let stream = Self.stream(of: key)
                if !Self.continuesStream(batchStreams, at: row) {
                    expected = (1, 0)
                    let hash = batchStreams.hash(row)
                    if let place = streams.place(of: hash, where: { Self.stream(at: $0, in: streamRuns, equals: stream) }) {
                        expected = Self.versionAndSequence(at: place, in: streamRuns)
                        expected.version += 1
                    }
                }
                let version = Self.version(of: key)
                let sequence = batchStreams.sequence(row)
                guard version == expected.version, sequence > expected.after else {
                    let name = String(decoding: stream.dropLast(), as: UTF8.self)
                    throw refuse(sequence, "it is version \(version) of '\(name)', which is at version \(expected.version - 1) before it")
                }
                expected = (version + 1, sequence)
            }
        }
        return Checked(ids: batchIDRows, streams: batchStreamRows)
    }

    /// Adds rows `check` passed, before anything else is added.
    mutating func add(_ checked: Checked) {
        idRuns.append(checked.ids)
        streamRuns.append(checked.streams)
        count += checked.ids.count
        index(run: idRuns.count - 1)
    }

    /// Keeps what was added since the last commit.
    mutating func commit() { committedRuns = idRuns.count }

    /// Takes back what was added since the last commit.
    mutating func rollback() {
        guard idRuns.count > committedRuns else { return }
        idRuns.removeLast(idRuns.count - committedRuns)
        streamRuns.removeLast(streamRuns.count - committedRuns)
        count = idRuns.reduce(0) { $0 + $1.count }
        // Rare (a refused neighbour in the same group, a map that grew): build the tables again.
        ids = KeyTable()
        streams = KeyTable()
        for run in idRuns.indices { index(run: run) }
    }

    /// Enters run `run` in the tables: each id, and the last row of each stream, over any
    /// earlier row of that stream. Its ids are new (`check`), so no id slot needs comparing.
    private mutating func index(run: Int) {
        let (idRows, streamRows, runs) = (idRuns[run], streamRuns[run], streamRuns)
        idRows.withView { view in
            ids.reserve(view.count)
            for row in 0..<view.count {
                ids.set(KeyTable.place(run: UInt64(run), row: row), hash: view.hash(row)) { _ in false }
            }
        }
        streamRows.withView { view in
            let lastOfEachStream = (0..<view.count).filter { !Self.continuesStream(view, at: $0 + 1) }
            streams.reserve(lastOfEachStream.count)
            for row in lastOfEachStream {
                let stream = Self.stream(of: view.key(row))
                streams.set(KeyTable.place(run: UInt64(run), row: row), hash: view.hash(row)) {
                    Self.stream(at: $0, in: runs, equals: stream)
                }
            }
        }
    }

    /// Appends every row to the indexes, which must be empty, merging the runs in key order, and
    /// clears the `meta` mark.
    func write(txn: LMDBTransaction, dbi: GroupCommitWriter.Databases) throws {
        for (runs, database) in [(idRuns, dbi.ids), (streamRuns, dbi.streams)] {
            let cursor = try txn.openCursor(database)
            defer { cursor.close() }
            try Self.withViews(runs[...], []) { views in
                var rowsTaken = [Int](repeating: 0, count: views.count)
                try rowsTaken.withUnsafeMutableBufferPointer { next in
                    func precedes(_ a: Int, _ b: Int) -> Bool { views[a].precedes(next[a], next[b], of: views[b]) }
                    // The runs with rows left, by their next row. Runs cover stretches of the log, and
                    // keys often grow with it (ticket numbers, call numbers): the first run usually
                    // stays first, which one comparison shows; else it moves to its place, found by
                    // bisection.
                    var order = views.indices.filter { views[$0].count > 0 }.sorted(by: precedes)
                    while let first = order.first {
                        try LogLayout.withBigEndian(views[first].sequence(next[first])) {
                            try cursor.put(key: views[first].key(next[first]), value: $0, append: true)
                        }
                        next[first] += 1
                        if next[first] == views[first].count {
                            order.removeFirst()
                        } else if order.count > 1, !precedes(first, order[1]) {
                            var (low, high) = (2, order.count)
                            while low < high {
                                let middle = (low + high) / 2
                                if precedes(order[middle], first) { low = middle + 1 } else { high = middle }
                            }
                            order.insert(first, at: low)
                            order.removeFirst()
                        }
                    }
                }
            }
        }
        _ = try txn.delete(dbi.meta, key: Self.pendingKey)
    }

    /// Calls `body` with a view of every run.
    private static func withViews<T>(
        _ runs: ArraySlice<SortedRows>, _ views: [SortedRows.View], _ body: ([SortedRows.View]) throws -> T
    ) rethrows -> T {
        guard let run = runs.first else { return try body(views) }
        return try run.withView { try withViews(runs.dropFirst(), views + [$0], body) }
    }

    /// Whether the key at `place` in `runs` is `key`.
    private static func key(at place: UInt64, in runs: [SortedRows], equals key: UnsafeRawBufferPointer) -> Bool {
        runs[Int(place >> 32)].withView { same($0.key(Int(place & 0xffff_ffff)), key) }
    }

    /// Whether the `streams` key at `place` in `runs` is of `stream` (its bytes and 0x00).
    private static func stream(at place: UInt64, in runs: [SortedRows], equals stream: UnsafeRawBufferPointer) -> Bool {
        runs[Int(place >> 32)].withView { same(Self.stream(of: $0.key(Int(place & 0xffff_ffff))), stream) }
    }

    /// The version and sequence of the `streams` row at `place` in `runs`.
    private static func versionAndSequence(at place: UInt64, in runs: [SortedRows]) -> (version: UInt64, after: UInt64) {
        runs[Int(place >> 32)].withView { view in
            let row = Int(place & 0xffff_ffff)
            return (version(of: view.key(row)), view.sequence(row))
        }
    }

    /// A `streams` key up to its version: the stream's bytes and 0x00.
    private static func stream(of key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: key[..<(key.count - 8)])
    }

    /// The big-endian version at the end of a `streams` key.
    private static func version(of key: UnsafeRawBufferPointer) -> UInt64 {
        LogLayout.decodeBigEndian(UnsafeRawBufferPointer(rebasing: key[(key.count - 8)...])) ?? 0
    }

    /// Whether two keys are the same bytes.
    @inline(__always)
    private static func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    /// Whether row `row` of sorted `streams` rows is of the stream of the row before it (false
    /// for the first row, and past the last); equal streams have equal hashes, so most
    /// neighbours differ there, unread.
    private static func continuesStream(_ view: SortedRows.View, at row: Int) -> Bool {
        guard row > 0, row < view.count, view.hash(row - 1) == view.hash(row) else { return false }
        let (a, b) = (view.key(row - 1), view.key(row))
        return a.count == b.count && memcmp(a.baseAddress!, b.baseAddress!, a.count - 8) == 0
    }

    /// Marks in `meta` that the entries from `first` on have no index rows yet.
    static func markPending(from first: UInt64, txn: LMDBTransaction, dbi: GroupCommitWriter.Databases) throws {
        try txn.put(dbi.meta, key: pendingKey, value: LogLayout.bigEndian(first))
    }

    /// Where a log's deferred index rows begin, when a writer stopped before writing them.
    static func pendingFrom(txn: LMDBTransaction, dbi: GroupCommitWriter.Databases) throws -> UInt64? {
        try txn.get(dbi.meta, key: pendingKey).map { stored in
            guard let first = LogLayout.decodeBigEndian(stored), first >= 1 else {
                throw StorageError(.corrupted, "the log's mark of deferred index rows is damaged; run `defter log verify`")
            }
            return first
        }
    }

    /// Builds the index rows a stopped writer left to write, from the entries themselves, in one
    /// transaction: what `EventLog.open` does first when `meta` says rows are pending. Does
    /// nothing for a log without the mark; returns how many entries it indexed.
    @discardableResult
    static func buildIfPending(environment: LMDBEnvironment, dbi: GroupCommitWriter.Databases) throws -> Int {
        try environment.write { txn in
            guard let first = try pendingFrom(txn: txn, dbi: dbi) else { return 0 }
            guard try txn.count(dbi.ids) == 0, try txn.count(dbi.streams) == 0 else {
                throw StorageError(
                    .corrupted,
                    "the log marks the index rows of entries \(first) on as still to write, but its indexes are not empty; run `defter log verify`"
                )
            }
            let head = try txn.last(dbi.events).flatMap { LogLayout.decodeBigEndian($0.key) } ?? 0
            var found = IndexRows(capacity: Int(head - min(head, first - 1)))
            var keys: [UInt8] = []
            var entries = 0
            try txn.scan(dbi.events, from: LogLayout.bigEndian(first)) { key, value in
                guard let sequence = LogLayout.decodeBigEndian(key) else {
                    throw StorageError(.corrupted, "an entry's key is damaged; run `defter log verify`")
                }
                keys.removeAll(keepingCapacity: true)
                do {
                    let (version, id, stream) = try EntryBundle.indexKeys(of: value, sequence: sequence, into: &keys)
                    keys.withUnsafeBytes { keys in
                        found.add(
                            id: UnsafeRawBufferPointer(rebasing: keys[id]), stream: UnsafeRawBufferPointer(rebasing: keys[stream]),
                            version: version, sequence: sequence)
                    }
                } catch {
                    throw StorageError(.corrupted, "\(error); run `defter log verify`")
                }
                entries += 1
                return true
            }
            guard entries == Int(head - min(head, first - 1)) else {
                throw StorageError(.corrupted, "entries \(first)...\(head) are not all there; run `defter log verify`")
            }
            found.sort()
            var rows = DeferredIndexes()
            do { rows.add(try rows.check(ids: found.ids, streams: found.streams, first: first)) } catch {
                throw StorageError(.corrupted, "the entries from \(first) on cannot be indexed: \(error); run `defter log verify`")
            }
            try rows.write(txn: txn, dbi: dbi)
            return entries
        }
    }
}

/// An open-addressing hash table of places, for keys kept elsewhere: each slot holds a key's
/// hash and its place (a run and a row), and the owner compares keys when hashes meet.
struct KeyTable {
    private var hashes: [UInt64]
    private var places: [UInt64]
    private(set) var count = 0

    init() {
        hashes = Array(repeating: 0, count: 1024)
        places = Array(repeating: 0, count: 1024)
    }

    /// The place of row `row` in run `run`.
    static func place(run: UInt64, row: Int) -> UInt64 { run << 32 | UInt64(row) }

    /// A 64-bit hash of `key`, never 0 (which marks an empty slot): eight bytes at a time, each
    /// multiplied in, then mixed (MurmurHash3's finaliser) so that keys differing in their last
    /// bytes spread over the slots. Not for adversaries: a clash only costs a key comparison.
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(key.count)
        var offset = 0
        while offset + 8 <= key.count {
            hash = (hash ^ key.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0x9e37_79b9_7f4a_7c15
            hash ^= hash >> 29
            offset += 8
        }
        var tail: UInt64 = 0
        while offset < key.count {
            tail = tail << 8 | UInt64(key[offset])
            offset += 1
        }
        hash = (hash ^ tail) &* 0x9e37_79b9_7f4a_7c15
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash &*= 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return hash == 0 ? 1 : hash
    }

    /// The place of the key whose hash is `hash` and for whose place `isKey` says yes.
    func place(of hash: UInt64, where isKey: (UInt64) -> Bool) -> UInt64? {
        let mask = hashes.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while hashes[slot] != 0 {
            if hashes[slot] == hash, isKey(places[slot]) { return places[slot] }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// Sets the place of the key whose hash is `hash`: replaces it where `isKey` says the slot
    /// holds that key, or adds it. Call `reserve` first.
    mutating func set(_ place: UInt64, hash: UInt64, where isKey: (UInt64) -> Bool) {
        let mask = hashes.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while hashes[slot] != 0 {
            if hashes[slot] == hash, isKey(places[slot]) {
                places[slot] = place
                return
            }
            slot = (slot + 1) & mask
        }
        hashes[slot] = hash
        places[slot] = place
        count += 1
    }

    /// Grows the table so that `more` keys can be added while it stays at most half full.
    mutating func reserve(_ more: Int) {
        var capacity = hashes.count
        while (count + more) * 2 > capacity { capacity *= 2 }
        guard capacity > hashes.count else { return }
        let (oldHashes, oldPlaces) = (hashes, places)
        hashes = Array(repeating: 0, count: capacity)
        places = Array(repeating: 0, count: capacity)
        let mask = capacity - 1
        for (hash, place) in zip(oldHashes, oldPlaces) where hash != 0 {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while hashes[slot] != 0 { slot = (slot + 1) & mask }
            hashes[slot] = hash
            places[slot] = place
        }
    }
}
