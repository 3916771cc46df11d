import DefterLog
import DefterLogTestSupport
import Foundation
import Testing

@Suite struct TileLayoutTests {
    @Test func pathsFollowTheSpecsExamples() {
        // C2SP tlog-tiles: "index 1234067 will be encoded as x001/x234/067".
        #expect(TileAddress(level: 0, index: 1_234_067).description == "tile/0/x001/x234/067")
        #expect(TileAddress(level: 2, index: 5, width: 17).description == "tile/2/005.p/17")
        #expect(TileAddress(level: nil, index: 1000, width: 1).description == "tile/entries/x001/000.p/1")
        for address in [
            TileAddress(level: 0, index: 1_234_067), TileAddress(level: 63, index: 0), TileAddress(level: nil, index: 999, width: 255),
        ] {
            #expect(TileAddress(path: address.description) == address)
        }
    }

    @Test(arguments: [
        "tile/0/001/067", "tile/00/000", "tile/64/000", "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/07", "tile/0/x000/001",
        "tile/0/1", "tile/entries/abc", "tiles/0/000", "tile/0/000/", "tile/-1/000",
    ])
    func nonCanonicalOrInvalidPathsAreRefused(_ path: String) {
        #expect(TileAddress(path: path) == nil)
    }

    @Test func aTreeOf70000HasTheTilesTheSpecLists() {
        // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0
        // tile of width 112, one full level 1 tile, one partial level 1 tile of width 17, and one
        // partial level 2 tile of width 1."
        let tiles = TileAddress.tiles(treeSize: 70_000)
        let hashes = tiles.filter { $0.level != nil }
        #expect(hashes.filter { $0.level == 0 && !$0.isPartial }.count == 273)
        #expect(hashes.filter { $0.level == 0 && $0.isPartial }.map(\.width) == [112])
        #expect(hashes.filter { $0.level == 1 && !$0.isPartial }.count == 1)
        #expect(hashes.filter { $0.level == 1 && $0.isPartial }.map(\.width) == [17])
        #expect(hashes.filter { $0.level == 2 }.map(\.width) == [1])
        #expect(hashes.count == 273 + 1 + 1 + 1 + 1)
        #expect(tiles.filter { $0.level == nil }.count == 274)
        // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1."
        #expect(
            TileAddress.tiles(treeSize: 256).filter { $0.level != nil } == [
                TileAddress(level: 0, index: 0), TileAddress(level: 1, index: 0, width: 1),
            ])
    }
}

@Suite struct TilePublisherTests {
    private func append(_ log: EventLog, _ range: Range<Int>) async throws {
        _ = try await log.append(range.map { SampleEvents.call("s\($0 % 7)", $0) })
    }

    private func read(_ folder: URL, _ tile: TileAddress) throws -> [UInt8] {
        Array(try Data(contentsOf: folder.appendingPathComponent(tile.description)))
    }

    @Test func publishesEveryTileThenOnlyWhatIsNewWithTheCheckpointLast() async throws {
        try await withTemporaryLog { log, root in
            let folder = root.appendingPathComponent("tiles")
            try await append(log, 0..<600)
            let first = try TilePublisher.publish(log, at: try await log.checkpoint(), to: folder)
            #expect(first.fromSize == 0 && first.toSize == 600)
            #expect(first.files == TileAddress.tiles(treeSize: 600).count)
            // Level 0 holds the leaf hashes; a bundle holds the stored bytes, length-prefixed.
            let level0 = try read(folder, TileAddress(level: 0, index: 1))
            let leaves = try log.entries(from: 257, limit: 256).map { MerkleHash.leaf($0.bytes) }
            #expect(level0 == leaves.flatMap { hash in hash.withUnsafeBytes { Array($0) } })
            let bundle = try read(folder, TileAddress(level: nil, index: 2, width: 88))
            let third = try log.entries(from: 513, limit: 88)
            var expected: [UInt8] = []
            for entry in third { expected += [UInt8(entry.bytes.count >> 8), UInt8(entry.bytes.count & 0xFF)] + entry.bytes }
            #expect(bundle == expected)
            #expect(try TilePublisher.publishedSize(in: folder, origin: log.origin) == 600)

            try await append(log, 600..<800)
            let later = try await log.checkpoint()
            let second = try TilePublisher.publish(log, at: later, to: folder)
            // Only the third full level-0 tile and bundle, and the new partial tiles.
            #expect(second.fromSize == 600 && second.files == 2 + 2 + 1)
            let published = try String(contentsOf: folder.appendingPathComponent("checkpoint"), encoding: .utf8)
            #expect(published == later.text)
            // Publishing the same checkpoint again writes nothing.
            #expect(try TilePublisher.publish(log, at: later, to: folder).files == 0)
        }
    }

    @Test func refusesAShorterHistoryAndAnotherLogsFolder() async throws {
        try await withTemporaryLog { log, root in
            let folder = root.appendingPathComponent("tiles")
            try await append(log, 0..<10)
            let old = try await log.checkpoint()
            try await append(log, 10..<20)
            _ = try TilePublisher.publish(log, at: try await log.checkpoint(), to: folder)
            #expect(throws: TileError.self) { try TilePublisher.publish(log, at: old, to: folder) }
            try "another.example/log\n5\nAAAA\n\n— x AAAA\n".write(
                to: folder.appendingPathComponent("checkpoint"), atomically: true, encoding: .utf8)
            #expect(throws: TileError.self) { try TilePublisher.publish(log, at: old, to: folder) }
            #expect(throws: TileError.self) { try log.tile(TileAddress(level: nil, index: 0)) }
        }
    }
}
