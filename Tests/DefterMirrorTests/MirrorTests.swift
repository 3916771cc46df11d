import DefterLog
import DefterLogTestSupport
import DefterMirror
import DefterWitness
import Foundation
import Testing

/// A mirror following a log published into a folder (`defter log publish`), read in place: the
/// same checks as over HTTP, without a server.
@Suite struct MirrorTests {
    @Test func aMirrorCopiesThePublishedLogAcrossPartialAndFullBundles() async throws {
        try await withTemporaryLog { primary, root in
            let tiles = root.appendingPathComponent("tiles")
            let mirror = try openMirror(of: primary, in: root.appendingPathComponent("mirror"))
            defer { mirror.close() }
            let follower = Mirror(log: mirror, source: FolderTileSource(folder: tiles), parallelReads: 3)
            // 600 entries end inside the third bundle; 1,000 begin inside the one the mirror began;
            // 1,024 end on a full bundle, with no partial tile at all.
            for size in [600, 1000, 1024] {
                try await grow(primary, to: size, stream: "primary")
                try await publish(primary, to: tiles)
                let before = try mirror.size()
                let report = try await follower.follow()
                #expect(report.fromSize == before && report.toSize == UInt64(size))
                #expect(try mirror.root() == primary.root())
                #expect(try mirror.checkpoints().last?.text == primary.checkpoints().last?.text)
                #expect(try mirror.entries(from: 1, limit: size) == primary.entries(from: 1, limit: size))
            }
            // Nothing new: nothing fetched, nothing changed.
            let again = try await follower.follow()
            #expect(again.fromSize == 1024 && again.toSize == 1024)
            #expect(try mirror.verify().ok)
        }
    }

    @Test func aMirrorWithAKeyCosignsWhatItCopiedAndKeepsTheWitnessCosignaturesItVerified() async throws {
        try await withTemporaryLog { primary, root in
            let tiles = root.appendingPathComponent("tiles")
            try await grow(primary, to: 300, stream: "primary")
            let checkpoint = try await primary.checkpoint()
            let body = checkpoint.checkpoint.body
            let witness = Cosigner(name: "witness.example.org/w")
            // Cosignature lines, without their newlines.
            let witnessLine = try witness.cosign(body: body, time: 1_765_000_000).trimmingCharacters(in: .newlines)
            let stranger = try Cosigner(name: "stranger.example.org/s").cosign(body: body, time: 1_765_000_000)
                .trimmingCharacters(in: .newlines)
            _ = try TilePublisher.publish(primary, at: checkpoint, note: checkpoint.text + witnessLine + "\n" + stranger + "\n", to: tiles)

            let folder = root.appendingPathComponent("mirror")
            let mirror = try openMirror(of: primary, in: folder)
            defer { mirror.close() }
            let own = Cosigner(name: "mirror.example.org/m")
            let follower = Mirror(
                log: mirror, source: FolderTileSource(folder: tiles), witnesses: [witness.verifierKey], quorum: 1, cosigner: own)
            _ = try await follower.follow()
            let kept = try #require(try WitnessClient.keptCosignatures(at: folder.appendingPathComponent("witnesses"))[300])
            // The witness's line as the primary served it, the mirror's own, and not a stranger's.
            #expect(kept.count == 2 && kept.contains(witnessLine) && !kept.contains(stranger))
            #expect(CosignerVerifierKey.vouching([own.verifierKey, witness.verifierKey], in: kept, body: body).count == 2)
            // A round with nothing new cosigns nothing again.
            _ = try await follower.follow()
            #expect(try WitnessClient.keptCosignatures(at: folder.appendingPathComponent("witnesses"))[300]?.count == 2)
        }
    }

    @Test func aDamagedBundleIsRefusedAndWhatWasVerifiedBeforeItIsKept() async throws {
        try await withTemporaryLog { primary, root in
            let tiles = root.appendingPathComponent("tiles")
            try await grow(primary, to: 700, stream: "primary")
            try await publish(primary, to: tiles)
            // One letter of one entry in the second bundle changes; its length does not.
            let bundle = tiles.appendingPathComponent(TileAddress(level: nil, index: 1).description)
            var bytes = try [UInt8](Data(contentsOf: bundle))
            let text = Array("İstiklal".utf8)
            let at = try #require((0..<(bytes.count - text.count)).first { Array(bytes[$0..<($0 + text.count)]) == text })
            bytes[at + text.count - 1] = UInt8(ascii: "k")
            try Data(bytes).write(to: bundle)

            let mirror = try openMirror(of: primary, in: root.appendingPathComponent("mirror"))
            defer { mirror.close() }
            let error = await #expect(throws: Mirror.MirrorError.self) {
                try await Mirror(log: mirror, source: FolderTileSource(folder: tiles)).follow()
            }
            guard case .source(let message) = error else {
                Issue.record("expected a source error, got \(String(describing: error))")
                return
            }
            #expect(message.contains("tile/entries/001") && message.contains("damaged bundle"))
            #expect(try mirror.size() == 256)
            #expect(try mirror.checkpoints().isEmpty)
            #expect(try mirror.entries(from: 1, limit: 256) == primary.entries(from: 1, limit: 256))
        }
    }

    @Test func aFolderSourceReadsAFileWholeAndNamesWhatItCannotRead() async throws {
        try await withTemporaryLog { primary, root in
            let tiles = root.appendingPathComponent("tiles")
            try await grow(primary, to: 300, stream: "primary")
            try await publish(primary, to: tiles)
            let source = FolderTileSource(folder: tiles)
            let bundle = TileAddress(level: nil, index: 0).description
            #expect(try await source.read(bundle) == [UInt8](Data(contentsOf: tiles.appendingPathComponent(bundle))))
            #expect(try await source.read("checkpoint") == [UInt8](Data(contentsOf: tiles.appendingPathComponent("checkpoint"))))

            let missing = await #expect(throws: Mirror.MirrorError.self) { try await source.read("tile/entries/999") }
            #expect(missing?.description == "cannot read \(tiles.path)/tile/entries/999: it is missing")
            let folder = await #expect(throws: Mirror.MirrorError.self) { try await source.read("tile/entries") }
            #expect(folder?.description == "cannot read \(tiles.path)/tile/entries: Is a directory")
        }
    }

    @Test func hashTilesThatDoNotMakeTheSignedRootAreRefusedBeforeAnyEntryIsRead() async throws {
        try await withTemporaryLog { primary, root in
            let tiles = root.appendingPathComponent("tiles")
            try await grow(primary, to: 600, stream: "primary")
            try await publish(primary, to: tiles)
            let tile = tiles.appendingPathComponent(TileAddress(level: 1, index: 0, width: 2).description)
            var hashes = try [UInt8](Data(contentsOf: tile))
            hashes[40] ^= 1
            try Data(hashes).write(to: tile)
            try FileManager.default.removeItem(at: tiles.appendingPathComponent("tile/entries"))

            let mirror = try openMirror(of: primary, in: root.appendingPathComponent("mirror"))
            defer { mirror.close() }
            let error = await #expect(throws: Mirror.MirrorError.self) {
                try await Mirror(log: mirror, source: FolderTileSource(folder: tiles)).follow()
            }
            #expect(error == .source(error?.description ?? ""))
            #expect(error?.description.contains("do not make the root its checkpoint signs") == true)
            #expect(try mirror.size() == 0)
        }
    }

    @Test(arguments: [
        // The rewrite begins in a bundle the mirror holds whole: the tree it extends is another.
        200,
        // It begins in the bundle the mirror holds part of: the bundles before it are the same.
        550,
    ])
    func aRewrittenHistorySignedWithTheSameKeyIsAFork(sharedEntries: Int) async throws {
        try await withTemporaryDirectory { root in
            let honest = root.appendingPathComponent("honest")
            let rewritten = root.appendingPathComponent("rewritten")
            var configuration = LogConfiguration()
            configuration.origin = "fork.test.defter/log"
            do {
                let log = try EventLog.open(at: honest, configuration: configuration)
                defer { log.close() }
                try await grow(log, to: sharedEntries, stream: "shared")
            }
            try FileManager.default.copyItem(at: honest, to: rewritten)
            let primary = try EventLog.open(at: honest, configuration: configuration)
            defer { primary.close() }
            let forger = try EventLog.open(at: rewritten, configuration: configuration)
            defer { forger.close() }
            try await grow(primary, to: 600, stream: "honest")
            try await grow(forger, to: 1000, stream: "forged")
            try await publish(primary, to: root.appendingPathComponent("honest-tiles"))
            try await publish(forger, to: root.appendingPathComponent("forged-tiles"))

            let mirror = try openMirror(of: primary, in: root.appendingPathComponent("mirror"))
            defer { mirror.close() }
            _ = try await Mirror(log: mirror, source: FolderTileSource(folder: root.appendingPathComponent("honest-tiles"))).follow()
            let held = try mirror.entries(from: 1, limit: 600)
            let error = await #expect(throws: Mirror.MirrorError.self) {
                try await Mirror(log: mirror, source: FolderTileSource(folder: root.appendingPathComponent("forged-tiles"))).follow()
            }
            guard case .fork(let message) = error else {
                Issue.record("expected a fork, got \(String(describing: error))")
                return
            }
            #expect(message.contains("size 1000") && message.contains("size 600"))
            #expect(try mirror.entries(from: 1, limit: 1000) == held)
            #expect(try mirror.checkpoints().count == 1)
        }
    }
}

/// Appends calls on `stream` until the log holds `size` entries.
func grow(_ log: EventLog, to size: Int, stream: String) async throws {
    let start = Int(try log.size())
    for chunk in stride(from: start, to: size, by: 500) {
        _ = try await log.append((chunk..<min(size, chunk + 500)).map { SampleEvents.call("\(stream)-\($0 % 7)", $0) })
    }
}

/// Signs a checkpoint of `log` as it stands and publishes it into `folder`.
func publish(_ log: EventLog, to folder: URL) async throws {
    _ = try TilePublisher.publish(log, at: try await log.checkpoint(), to: folder)
}

/// A new, empty mirror of `primary` in `folder`.
func openMirror(of primary: EventLog, in folder: URL) throws -> EventLog {
    var configuration = LogConfiguration()
    configuration.mirrorOf = primary.verifierKey
    return try EventLog.open(at: folder, configuration: configuration)
}
