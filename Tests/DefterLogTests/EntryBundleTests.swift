import DefterLogTestSupport
import Foundation
import Testing

@testable import DefterLog

/// A primary of `size` entries on three streams, and an empty mirror of it.
private func withPrimaryAndMirror(size: Int, _ body: (EventLog, EventLog) async throws -> Void) async throws {
    try await withTemporaryLog { primary, root in
        _ = try await primary.append((0..<size).map { SampleEvents.call("s\($0 % 3)", $0) })
        var configuration = LogConfiguration()
        configuration.mirrorOf = primary.verifierKey
        let mirror = try EventLog.open(at: root.appendingPathComponent("mirror"), configuration: configuration)
        defer { mirror.close() }
        try await body(primary, mirror)
    }
}

private func bundleError(_ bytes: [UInt8], _ address: TileAddress) -> String? {
    do {
        _ = try EntryBundle(bytes, of: address)
        return nil
    } catch {
        return error.description
    }
}

@Suite struct EntryBundleTests {
    @Test func aPublishedBundleReadsBackWithTheLogsLeavesAndRestoresToTheSameRoot() async throws {
        try await withPrimaryAndMirror(size: 300) { primary, mirror in
            let full = TileAddress(level: nil, index: 0)
            let partial = TileAddress(level: nil, index: 1, width: 44)
            let first = try EntryBundle(try primary.tile(full), of: full)
            let second = try EntryBundle(try primary.tile(partial), of: partial)
            #expect(first.leaves == (try primary.perfectNodes(level: 0, indices: 0..<256)))
            #expect(second.count == 44 && second.firstSequence == 257)

            // The mirror takes the first 100 entries one way, the rest from the bundles.
            _ = try await mirror.restore(try primary.entries(from: 1, limit: 100))
            _ = try await mirror.restore(RestoreBatch([first.after(100), second.after(100)]))
            #expect(try mirror.size() == 300)
            #expect(try mirror.root().root == primary.root().root)
            #expect(try mirror.verify().ok)
            let last = try #require(try primary.entry(at: 300))
            #expect(try mirror.entry(id: last.id)?.sequence == 300)
            #expect(try mirror.version(of: last.stream) == primary.version(of: last.stream))
        }
    }

    @Test func aFullBundleCarriesItsSubtreesInteriorNodesAsTheTreeStoresThem() async throws {
        try await withPrimaryAndMirror(size: 300) { primary, _ in
            let full = TileAddress(level: nil, index: 0)
            let bundle = try EntryBundle(try primary.tile(full), of: full)
            for level in 1...8 {
                let width = UInt64(256 >> level)
                #expect(
                    (0..<width).map { bundle.node(level: level, index: $0) } == (try primary.perfectNodes(level: level, indices: 0..<width))
                )
                #expect(bundle.node(level: level, index: width) == nil)
            }
            #expect(bundle.subtreeRoot == (try primary.perfectNodes(level: 8, indices: 0..<1)).first)
            #expect(bundle.node(level: 0, index: 0) == nil && bundle.node(level: 9, index: 0) == nil)
            let partial = TileAddress(level: nil, index: 1, width: 44)
            #expect(try EntryBundle(try primary.tile(partial), of: partial).subtreeRoot == nil)
        }
    }

    @Test func bytesThatAreNotTheBundleTheirAddressNamesAreRefusedSayingWhy() async throws {
        try await withPrimaryAndMirror(size: 300) { primary, _ in
            let full = TileAddress(level: nil, index: 0)
            let bytes = try primary.tile(full)
            #expect(bundleError(bytes, TileAddress(level: nil, index: 1))?.contains("says it is entry 1") == true)
            #expect(bundleError(Array(bytes.dropLast()), full)?.contains("ends inside an entry") == true)
            #expect(bundleError(bytes + [0], full)?.contains("ends inside a length prefix") == true)
            let partial = TileAddress(level: nil, index: 1, width: 44)
            let tail = try primary.tile(partial)
            #expect(bundleError(tail, TileAddress(level: nil, index: 1, width: 43))?.contains("holds more entries") == true)
            #expect(bundleError(tail, TileAddress(level: nil, index: 1))?.contains("holds 44 entries, not 256") == true)
        }
    }

    @Test func stringsMustBeCanonicalAndEscapedIdentifiersAreUnescapedForTheIndex() throws {
        let one = TileAddress(level: nil, index: 0, width: 1)
        // An escape the encoder would not write (\u0041 for A) is not canonical.
        let spelled = Array(
            String(decoding: envelope(1, id: "e1", stream: "s", version: 1, actor: "A"), as: UTF8.self)
                .replacingOccurrences(of: #""actor":"A""#, with: #""actor":"\u0041""#).utf8)
        #expect(bundleError(bundleBytes([spelled]), one)?.contains("canonical") == true)
        // A control character the encoder escaped is canonical; left raw in a string, it is not.
        #expect(bundleError(bundleBytes([envelope(1, id: "e1", stream: "s", version: 1, actor: "a\u{7}b")]), one) == nil)
        let raw = Array(
            String(decoding: envelope(1, id: "e1", stream: "s", version: 1, actor: "ab"), as: UTF8.self)
                .replacingOccurrences(of: #""actor":"ab""#, with: "\"actor\":\"a\u{7}b\"").utf8)
        #expect(bundleError(bundleBytes([raw]), one)?.contains("control character") == true)
        // An id with a quote is escaped canonically; its index key is the id itself.
        let quoted = try EntryBundle(bundleBytes([envelope(1, id: #"say "hi""#, stream: "s", version: 1)]), of: one)
        #expect(Array(quoted.keys[quoted.entries[0].id]) == Array(#"say "hi""#.utf8))
    }

    /// Refused alike whether the log writes index rows with each commit or defers them
    /// (`restore(_:deferringIndexes:)`, checked against the rows held in memory).
    @Test(arguments: [false, true])
    func restoringWhatDoesNotFollowTheLogIsRefusedAndWritesNothing(deferringIndexes: Bool) async throws {
        try await withPrimaryAndMirror(size: 256) { primary, mirror in
            let full = TileAddress(level: nil, index: 0)
            let first = try EntryBundle(try primary.tile(full), of: full)
            _ = try await mirror.restore(RestoreBatch([first]), deferringIndexes: deferringIndexes)
            let root = try mirror.root().root
            let next = TileAddress(level: nil, index: 1, width: 1)
            let existing = try #require(try primary.entry(at: 1))
            let refusals: [(EntryBundle, String)] = [
                (first, "expected entry 257 here"),
                (
                    try EntryBundle(bundleBytes([envelope(257, id: existing.id.rawValue, stream: "new", version: 1)]), of: next),
                    "is already recorded"
                ),
                (
                    try EntryBundle(bundleBytes([envelope(257, id: "fresh", stream: existing.stream.rawValue, version: 1)]), of: next),
                    "it is version 1 of 's0'"
                ),
                (
                    try EntryBundle(bundleBytes([envelope(257, id: "fresh", stream: "new", version: 2)]), of: next),
                    "it is version 2 of 'new'"
                ),
                (
                    try EntryBundle(
                        bundleBytes([
                            envelope(257, id: "twin", stream: "a", version: 1), envelope(258, id: "twin", stream: "b", version: 1),
                        ]), of: TileAddress(level: nil, index: 1, width: 2)),
                    "entry 258: its id 'twin' is already recorded"
                ),
            ]
            for (bundle, reason) in refusals {
                await #expect {
                    try await mirror.restore(RestoreBatch([bundle]), deferringIndexes: deferringIndexes)
                } throws: { error in
                    guard case AppendError.invalidEvent(_, let why) = error else { return false }
                    return why.contains(reason)
                }
                #expect(try mirror.size() == 256 && mirror.root().root == root)
            }
            // The log takes the next entry that does follow it.
            let version = try primary.version(of: existing.stream)
            _ = try await mirror.restore(
                RestoreBatch([try EntryBundle(bundleBytes([envelope(257, id: "fresh", stream: "s0", version: version + 1)]), of: next)]),
                deferringIndexes: deferringIndexes)
            try await mirror.finishDeferredIndexes()
            #expect(try mirror.size() == 257)
            #expect(try mirror.entry(id: EventID(unchecked: "fresh"))?.sequence == 257)
            #expect(try mirror.verify().ok)
        }
    }
}
