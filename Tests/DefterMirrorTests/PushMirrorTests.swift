import DefterLog
import DefterLogTestSupport
import DefterMirror
import DefterWitness
import Foundation
import Testing

/// C2SP `tlog-mirror`'s update API, the log pushing to the mirror: `add-checkpoint`, then
/// `add-entries` in packages each proven by a subtree consistency proof, answered with the mirror's
/// cosignature. Requests go straight to `PushMirror`, each body in small pieces as a network would
/// deliver it; `MirrorHTTPTests` sends them over HTTP.
@Suite struct PushMirrorTests {
    /// A mirror of `primary` in `folder` taking pushes, and a pusher of `primary` to it.
    struct Setup {
        let mirrorLog: EventLog
        let mirror: PushMirror
        let cosigner: Cosigner
        let pusher: MirrorPusher
        /// The pusher's requests: each path and the status it got.
        let exchanges: Exchanges

        func close() async {
            await mirror.close()
            mirrorLog.close()
        }

        /// Sends `body` to `path` as the mirror's HTTP face would, in 1,000-byte pieces.
        func send(_ path: String, _ body: [UInt8]) async -> PushMirror.Response {
            path == "add-checkpoint" ? await mirror.addCheckpoint(body) : await mirror.addEntries(pieces(body, of: 1000))
        }
    }

    /// Runs `body` with a mirror of `primary` in `folder`, closed afterwards.
    static func withMirror<T>(
        of primary: EventLog, in folder: URL, entriesPerCommit: Int = 65_536, _ body: (Setup) async throws -> T
    ) async throws -> T {
        let setup = try setUp(primary, folder, entriesPerCommit: entriesPerCommit)
        do {
            let result = try await body(setup)
            await setup.close()
            return result
        } catch {
            await setup.close()
            throw error
        }
    }

    static func setUp(_ primary: EventLog, _ folder: URL, entriesPerCommit: Int = 65_536) throws -> Setup {
        let mirrorLog = try openMirror(of: primary, in: folder)
        let cosigner = Cosigner(name: "mirror.example.org/m1")
        let mirror = try PushMirror(log: mirrorLog, cosigner: cosigner, entriesPerCommit: entriesPerCommit)
        let endpoint = try WitnessClient.Endpoint(parsing: "http://mirror.example.org/m1=\(cosigner.verifierKey.vkey)")
        let exchanges = Exchanges()
        let pusher = MirrorPusher(log: primary, mirror: endpoint) { url, body, _ in
            let path = url.lastPathComponent
            let answer = path == "add-checkpoint" ? await mirror.addCheckpoint(body) : await mirror.addEntries(pieces(body, of: 1000))
            await exchanges.record(path, answer.status)
            return (answer.status, Array(answer.body.utf8))
        }
        return Setup(mirrorLog: mirrorLog, mirror: mirror, cosigner: cosigner, pusher: pusher, exchanges: exchanges)
    }

    @Test func aPushedMirrorVerifiesEveryEntryCopiesItByteForByteAndCosignsTheCheckpoint() async throws {
        try await withTemporaryLog { primary, root in
            // Commits of 1,000 entries: written in the background while the next requests are
            // proven, several a push, and the uploads wait when two commits' worth are pending.
            try await Self.withMirror(
                of: primary, in: root.deletingLastPathComponent().appendingPathComponent("mirror"), entriesPerCommit: 1000
            ) { setup in
                // 600 ends inside a bundle; 1,000 begins inside the one the mirror began and ends in
                // another; 9,000 needs more than one request of 32 packages (a 202, then on); 9,216
                // ends on a full bundle.
                for size in [600, 1000, 9000, 9216] {
                    try await grow(primary, to: size, stream: "primary")
                    let checkpoint = try await primary.checkpoint()
                    await setup.exchanges.clear()
                    let line = try await setup.pusher.push(checkpoint)
                    if size == 9000 {
                        // Checkpoint 1,000 was pending: one add-checkpoint with its proof. Entries 1,000 on
                        // take 33 packages: a 409 says where to start, a 202 after 32 packages, then 200.
                        #expect(
                            await setup.exchanges.all == [
                                .init(path: "add-checkpoint", status: 409), .init(path: "add-checkpoint", status: 200),
                                .init(path: "add-entries", status: 409), .init(path: "add-entries", status: 202),
                                .init(path: "add-entries", status: 200),
                            ])
                    }
                    #expect(try setup.cosigner.verifierKey.verify(line: line, body: checkpoint.checkpoint.body) != nil)
                    #expect(try setup.mirrorLog.root() == primary.root())
                    #expect(try setup.mirrorLog.newestCheckpoint() == checkpoint)
                }
                #expect(try setup.mirrorLog.entries(from: 1, limit: 9216) == primary.entries(from: 1, limit: 9216))
                #expect(try setup.mirrorLog.verify().ok)
                // The mirror keeps its cosignature where `defter serve --read-only` shows it.
                let kept = try WitnessClient.keptCosignatures(at: setup.mirrorLog.folder.appendingPathComponent("witnesses"))
                #expect(kept[9216]?.count == 1)
                // Pushing the same checkpoint again uploads nothing and is cosigned again.
                let again = try await setup.pusher.push(try #require(try primary.newestCheckpoint()))
                #expect(again.hasPrefix("\u{2014} mirror.example.org/m1 "))
            }
        }
    }

    @Test func eachBadUploadIsAnsweredWithTheSpecsStatusAndKeepsNothingUnproven() async throws {
        try await withTemporaryLog { primary, root in
            try await Self.withMirror(of: primary, in: root.deletingLastPathComponent().appendingPathComponent("mirror")) { setup in
                try await grow(primary, to: 700, stream: "primary")
                let checkpoint = try await primary.checkpoint()
                func upload(origin: String = primary.origin, start: UInt64, end: UInt64 = 700, packages: Int = .max) throws -> [UInt8] {
                    try EntryUpload.body(EntryUpload.Header(origin: origin, start: start, end: end), from: primary, packages: packages)
                }
                // No pending checkpoint yet: 422.
                #expect(await setup.send("add-entries", try upload(start: 0)).status == 422)
                let note = Array(("old 0\n\n" + checkpoint.text).utf8)
                let pending = await setup.send("add-checkpoint", note)
                #expect(pending.status == 200 && pending.body.isEmpty)
                // Another log: 404. An end that is no pending checkpoint, a start past the next entry: 409,
                // with the pending size, the next entry and an empty ticket.
                #expect(await setup.send("add-entries", try upload(origin: "other.example/log", start: 0)).status == 404)
                let wrongEnd = await setup.send("add-entries", EntryUpload.Header(origin: primary.origin, start: 0, end: 600).bytes)
                #expect(wrongEnd.status == 409 && wrongEnd.contentType == "text/x.tlog.mirror-info" && wrongEnd.body == "700\n0\n\n")
                #expect(await setup.send("add-entries", try upload(start: 300)).body == "700\n0\n\n")
                // A proof hash changed: 422, and nothing of that package is kept.
                var forged = try upload(start: 0, packages: 1)
                forged[forged.count - 1] ^= 1
                let refused = await setup.send("add-entries", forged)
                #expect(refused.status == 422 && refused.body.contains("not part of the checkpoint of size 700"))
                #expect(try setup.mirrorLog.size() == 0)
                // The first package cut short: 400. The second cut short: the first is kept, 202.
                let whole = try upload(start: 0)
                let firstOnly = try upload(start: 0, packages: 1)
                #expect(await setup.send("add-entries", Array(firstOnly.dropLast(5))).status == 400)
                #expect(try setup.mirrorLog.size() == 0)
                let partial = await setup.send("add-entries", Array(whole.prefix(firstOnly.count + 100)))
                #expect(partial.status == 202 && partial.body == "700\n256\n\n")
                // Going on from an earlier start repeats entries the mirror holds: they are skipped.
                let rest = await setup.send("add-entries", try upload(start: 100))
                #expect(rest.status == 200)
                #expect(
                    try setup.cosigner.verifierKey.verify(
                        line: rest.body.trimmingCharacters(in: .newlines), body: checkpoint.checkpoint.body)
                        != nil)
                #expect(try setup.mirrorLog.root() == primary.root())
                // A start after the end is not an upload.
                #expect(await setup.send("add-entries", EntryUpload.Header(origin: primary.origin, start: 9, end: 3).bytes).status == 400)
            }
        }
    }

    @Test func aCheckpointThatDoesNotExtendThePendingOneIsRefused() async throws {
        try await withTemporaryDirectory { root in
            var configuration = LogConfiguration()
            configuration.origin = "fork.test.defter/log"
            let honestFolder = root.appendingPathComponent("honest")
            do {
                let log = try EventLog.open(at: honestFolder, configuration: configuration)
                defer { log.close() }
                try await grow(log, to: 300, stream: "shared")
            }
            try FileManager.default.copyItem(at: honestFolder, to: root.appendingPathComponent("rewritten"))
            let primary = try EventLog.open(at: honestFolder, configuration: configuration)
            defer { primary.close() }
            let forger = try EventLog.open(at: root.appendingPathComponent("rewritten"), configuration: configuration)
            defer { forger.close() }
            try await grow(primary, to: 600, stream: "honest")
            try await grow(forger, to: 1000, stream: "forged")
            try await Self.withMirror(of: primary, in: root.appendingPathComponent("mirror")) { setup in
                _ = try await setup.pusher.push(try await primary.checkpoint())

                // The forger signs a longer tree with the same key: its proof from 600 cannot hold.
                let forged = try await forger.checkpoint()
                let proof = try forger.consistencyProof(from: 600, to: 1000).path
                let request = "old 600\n" + proof.map { $0.base64 + "\n" }.joined() + "\n" + forged.text
                let answer = await setup.send("add-checkpoint", Array(request.utf8))
                #expect(answer.status == 422 && answer.body.contains("not consistent with the one of size 600 this mirror holds"))
                // An old size that is not the mirror's: 409 with the size it holds.
                #expect(await setup.send("add-checkpoint", Array(("old 0\n\n" + forged.text).utf8)).body == "600\n")
                #expect(try setup.mirrorLog.size() == 600 && setup.mirrorLog.root() == primary.root())
            }
        }
    }

    @Test func acceptedEntriesAreCommittedTogetherOnceTheMirrorIsIdleOrClosing() async throws {
        try await withTemporaryLog { primary, root in
            try await grow(primary, to: 700, stream: "primary")
            let checkpoint = try await primary.checkpoint()
            let setup = try Self.setUp(primary, root.deletingLastPathComponent().appendingPathComponent("mirror"))
            #expect(await setup.send("add-checkpoint", Array(("old 0\n\n" + checkpoint.text).utf8)).status == 200)
            // One package a request: each answered 202 with the next entry, before it is committed.
            for (start, next) in [(UInt64(0), 256), (256, 512)] {
                let body = try EntryUpload.body(
                    EntryUpload.Header(origin: primary.origin, start: start, end: 700), from: primary, packages: 1)
                #expect(await setup.send("add-entries", body).body == "700\n\(next)\n\n")
                if start == 0 {
                    // Nothing more comes: the mirror commits what it accepted on its own.
                    for _ in 0..<100 where try setup.mirrorLog.size() < 256 { try await Task.sleep(for: .milliseconds(100)) }
                    #expect(try setup.mirrorLog.size() == 256)
                }
            }
            // Closing commits what is left; the log holds the entries the 202 counted.
            await setup.close()
            let reopened = try openMirror(of: primary, in: setup.mirrorLog.folder)
            defer { reopened.close() }
            #expect(try reopened.size() == 512)
            #expect(try reopened.root(size: 512).root == primary.root(size: 512).root)
        }
    }
}

/// The requests a pusher made, in order.
actor Exchanges {
    struct Exchange: Equatable {
        let path: String
        let status: Int
    }
    private(set) var all: [Exchange] = []
    func record(_ path: String, _ status: Int) { all.append(Exchange(path: path, status: status)) }
    func clear() { all = [] }
}

/// `bytes` as an asynchronous sequence of pieces of `size` bytes.
func pieces(_ bytes: [UInt8], of size: Int) -> AsyncStream<[UInt8]> {
    AsyncStream { continuation in
        for start in stride(from: 0, to: bytes.count, by: size) {
            continuation.yield(Array(bytes[start..<min(bytes.count, start + size)]))
        }
        continuation.finish()
    }
}
