import DefterLogTestSupport
import Foundation
import Testing

@testable import DefterLog

/// A primary of `size` entries on five streams taking turns, so that every stream runs across
/// bundles; `body` gets it, its published bundles, and the folder to put mirrors in.
private func withPrimary(size: Int, _ body: (EventLog, [EntryBundle], URL) async throws -> Void) async throws {
    try await withTemporaryLog { primary, root in
        _ = try await primary.append((0..<size).map { SampleEvents.call("s\($0 % 5)", $0) })
        let bundles = try TileAddress.tiles(treeSize: UInt64(size)).filter { $0.level == nil }.map {
            try EntryBundle(try primary.tile($0), of: $0)
        }
        try await body(primary, bundles, root.deletingLastPathComponent())
    }
}

/// An empty mirror of `primary` in `root/name`.
private func openMirror(_ name: String, of primary: EventLog, in root: URL) throws -> EventLog {
    var configuration = LogConfiguration()
    configuration.mirrorOf = primary.verifierKey
    return try EventLog.open(at: root.appendingPathComponent(name), configuration: configuration)
}

@Suite struct DeferredIndexesTests {
    @Test func aMirrorThatDefersItsIndexRowsEndsWithTheIndexesOfOneThatDoesNot() async throws {
        try await withPrimary(size: 700) { primary, bundles, root in
            #expect(bundles.count == 3)
            let deferred = try openMirror("deferred", of: primary, in: root)
            defer { deferred.close() }
            let direct = try openMirror("direct", of: primary, in: root)
            defer { direct.close() }
            // Three runs, each holding part of every stream: writing them merges all three.
            for batch in bundles.map({ [$0] }) {
                _ = try await deferred.restore(RestoreBatch(batch), deferringIndexes: true)
                _ = try await direct.restore(RestoreBatch(batch))
            }
            let last = try #require(try primary.entry(at: 700))
            // Until the rows are written, lookups by id and stream do not see those entries.
            #expect(try deferred.entry(id: last.id) == nil)
            #expect(try deferred.version(of: last.stream) == 0)

            try await deferred.finishDeferredIndexes()
            for sequence: UInt64 in [1, 256, 257, 512, 513, 700] {
                let entry = try #require(try primary.entry(at: sequence))
                #expect(try deferred.entry(id: entry.id)?.sequence == sequence)
                #expect(try direct.entry(id: entry.id)?.sequence == sequence)
            }
            for stream in (0..<5).map({ StreamID(unchecked: "s\($0)") }) {
                #expect(try deferred.version(of: stream) == 140)
                #expect(try deferred.entries(inStream: stream).map(\.sequence) == direct.entries(inStream: stream).map(\.sequence))
            }
            #expect(try deferred.verify().ok)
            #expect(try deferred.root().root == direct.root().root)
        }
    }

    @Test func anyOtherWriteAndClosingWriteTheDeferredRowsFirst() async throws {
        try await withPrimary(size: 300) { primary, bundles, root in
            let checkpoint = try await primary.checkpoint()
            let first = try #require(try primary.entry(at: 1))
            let mirror = try openMirror("mirror", of: primary, in: root)
            _ = try await mirror.restore(RestoreBatch(bundles), deferringIndexes: true)
            try await mirror.adopt(checkpoint)
            #expect(try mirror.entry(id: first.id)?.sequence == 1)
            mirror.close()

            let other = try openMirror("other", of: primary, in: root)
            _ = try await other.restore(RestoreBatch(bundles), deferringIndexes: true)
            other.close()
            let reopened = try openReadOnly(root.appendingPathComponent("other"))
            defer { reopened.close() }
            #expect(try reopened.verify().ok)
            #expect(try reopened.entry(id: first.id)?.sequence == 1)
        }
    }

    @Test func rowsAddedSinceTheLastCommitAreTakenBackWhenTheirTransactionFails() async throws {
        try await withPrimary(size: 700) { _, bundles, _ in
            let batches = bundles.map { RestoreBatch([$0]) }
            var rows = DeferredIndexes()
            rows.add(try rows.check(ids: batches[0].ids, streams: batches[0].streams, first: 1))
            rows.commit()
            rows.add(try rows.check(ids: batches[1].ids, streams: batches[1].streams, first: 257))
            // Had the second batch stayed, it could not be added again: its ids would be recorded.
            rows.rollback()
            #expect(rows.count == 256)
            rows.add(try rows.check(ids: batches[1].ids, streams: batches[1].streams, first: 257))
            rows.commit()
            // The tables built again still know the first batch's ids and each stream's version.
            #expect(throws: AppendError.self) { try rows.check(ids: batches[0].ids, streams: batches[0].streams, first: 1) }
            rows.add(try rows.check(ids: batches[2].ids, streams: batches[2].streams, first: 513))
            #expect(rows.count == 700)
        }
    }

    @Test func indexRowsAStoppedWriterLeftToWriteAreBuiltFromTheEntriesAtTheNextOpen() async throws {
        try await withPrimary(size: 600) { primary, bundles, root in
            let folder = root.appendingPathComponent("mirror")
            let mirror = try openMirror("mirror", of: primary, in: root)
            _ = try await mirror.restore(RestoreBatch(bundles), deferringIndexes: true)
            try await mirror.finishDeferredIndexes()
            // What a process killed while catching up leaves: entries, no index rows, the mark.
            try mirror.environment.write { txn in
                for database in [mirror.dbi.ids, mirror.dbi.streams] {
                    var keys: [[UInt8]] = []
                    try txn.scan(database) { key, _ in
                        keys.append(Array(key))
                        return true
                    }
                    for key in keys { try txn.delete(database, key: key) }
                }
                try DeferredIndexes.markPending(from: 1, txn: txn, dbi: mirror.dbi)
            }
            mirror.close()

            let readOnly = try openReadOnly(folder)
            let report = try readOnly.verify()
            readOnly.close()
            #expect(!report.ok)
            #expect(report.reason?.contains("index rows of entries 1 on are not written yet") == true)

            let reopened = try openMirror("mirror", of: primary, in: root)
            defer { reopened.close() }
            #expect(try reopened.verify().ok)
            let last = try #require(try primary.entry(at: 600))
            #expect(try reopened.entry(id: last.id)?.sequence == 600)
            #expect(try reopened.version(of: last.stream) == 120)
        }
    }
}
