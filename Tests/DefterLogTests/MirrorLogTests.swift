import DefterLog
import DefterLogTestSupport
import Foundation
import Testing

@Suite struct MirrorLogTests {
    @Test func aMirrorTakesItsPrimarysEntriesAndCheckpointsButCannotSignUntilPromoted() async throws {
        try await withTemporaryLog { primary, root in
            _ = try await primary.append((0..<30).map { SampleEvents.call("s\($0 % 3)", $0) })
            let early = try await primary.checkpoint()
            _ = try await primary.append((30..<40).map { SampleEvents.call("s\($0 % 3)", $0) })
            let later = try await primary.checkpoint()

            var configuration = LogConfiguration()
            configuration.mirrorOf = primary.verifierKey
            let folder = root.appendingPathComponent("mirror")
            var mirror = try EventLog.open(at: folder, configuration: configuration)
            #expect(mirror.origin == primary.origin && mirror.verifierKey == primary.verifierKey && !mirror.canSign)
            _ = try await mirror.restore(try primary.entries(from: 1, limit: 30))
            // A checkpoint larger than what the mirror holds is refused; the one it holds is stored.
            await #expect(throws: (any Error).self) { try await mirror.adopt(later) }
            try await mirror.adopt(early)
            _ = try await mirror.restore(try primary.entries(from: 31, limit: 10))
            try await mirror.adopt(later)
            #expect(try mirror.checkpoints().map(\.text) == [early.text, later.text])
            #expect(try mirror.root().root == primary.root().root)
            // Going back is refused, and so is signing without the key.
            await #expect(throws: (any Error).self) { try await mirror.adopt(early) }
            await #expect(throws: CheckpointError.self) { try await mirror.checkpoint() }
            mirror.close()

            // Promoted with the primary's key, it signs checkpoints that extend the primary's.
            let key = try String(contentsOf: primary.folder.appendingPathComponent(EventLog.signingKeyFileName), encoding: .utf8)
            try EventLog.installSigningKey(key, in: folder)
            #expect(throws: CheckpointError.self) { try EventLog.installSigningKey(key, in: folder) }
            mirror = try EventLog.open(at: folder)
            defer { mirror.close() }
            #expect(mirror.canSign)
            _ = try await mirror.append(SampleEvents.call("after", 0))
            let next = try await mirror.checkpoint()
            try next.verify(with: primary.verifierKey)
            try mirror.consistencyProof(from: 40, to: 41).verify()
        }
    }

    @Test func aCheckpointOfAnotherHistoryIsNotAdopted() async throws {
        try await withTemporaryLog { primary, root in
            _ = try await primary.append((0..<5).map { SampleEvents.call("s", $0) })
            let signed = try await primary.checkpoint()
            var configuration = LogConfiguration()
            configuration.mirrorOf = primary.verifierKey
            let mirror = try EventLog.open(at: root.appendingPathComponent("mirror"), configuration: configuration)
            defer { mirror.close() }
            // Five entries of its own (appended directly, as no mirror should): a different tree.
            _ = try await mirror.append((0..<5).map { SampleEvents.call("other", $0) })
            await #expect(throws: CheckpointError.self) { try await mirror.adopt(signed) }
            #expect(try mirror.checkpoints().isEmpty)
        }
    }
}
