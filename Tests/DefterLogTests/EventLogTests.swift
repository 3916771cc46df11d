import DefterLogTestSupport
import Foundation
import Synchronization
import Testing

@testable import DefterLog

@Suite struct EventLogAppendTests {
    @Test("appended events read back with consecutive sequences and stream versions")
    func appendAndRead() async throws {
        try await withTemporaryLog { log, _ in
            let result = try await log.append([
                SampleEvents.call("ticket-1", 1), SampleEvents.call("ticket-2", 1), SampleEvents.call("ticket-1", 2),
            ])
            #expect(result.sequences == [1, 2, 3])
            #expect(result.appendedCount == 3)
            let entries = try log.entries(from: 1)
            #expect(entries.map(\.sequence) == [1, 2, 3])
            #expect(entries.map(\.streamVersion) == [1, 1, 2])
            #expect(try entries[0].data()["marker"]?.stringValue == SampleEvents.marker("ticket-1", 1))
            #expect(try log.entries(inStream: StreamID("ticket-1")).map(\.sequence) == [1, 3])
            #expect(try log.version(of: StreamID("ticket-1")) == 2)
            #expect(try log.version(of: StreamID("nobody")) == 0)
            // The stored bytes are canonical JSON whose seq matches the key.
            #expect(try JSONParser.parse(entries[2].bytes).canonicalBytes == entries[2].bytes)
            #expect(try JSONParser.parse(entries[2].bytes)["seq"] == .integer(3))
        }
    }

    @Test("a reopened log continues where it stopped and keeps its identity")
    func reopenAndContinue() async throws {
        try await withTemporaryDirectory { root in
            let folder = root.appendingPathComponent("data")
            let first = try EventLog.open(at: folder)
            try await first.append((1...10).map { SampleEvents.call("s", $0) })
            let checkpoint = try await first.checkpoint()
            let origin = first.origin
            first.close()

            let second = try EventLog.open(at: folder)
            defer { second.close() }
            #expect(second.origin == origin)
            #expect(try second.size() == 10)
            #expect(try await second.append(SampleEvents.call("s", 11)) == 11)
            #expect(try second.version(of: StreamID("s")) == 11)
            let report = try second.verify()
            #expect(report.ok, "\(report.reason ?? "")")
            #expect(report.checkpointsVerified == 1)
            #expect(try second.consistencyProof(from: checkpoint.checkpoint.treeSize).oldRoot == checkpoint.checkpoint.root)
        }
    }

    @Test("64 concurrent appenders: no gaps, no duplicates, every acknowledged event present")
    func concurrentAppenders() async throws {
        try await withTemporaryLog { log, _ in
            let acknowledged = try await withThrowingTaskGroup(of: [(String, UInt64)].self) { group in
                for writer in 0..<64 {
                    group.addTask {
                        var mine: [(String, UInt64)] = []
                        for n in 0..<20 {
                            let id = "w\(writer)-e\(n)"
                            let seq = try await log.append(SampleEvents.call("writer-\(writer)", n, id: id))
                            mine.append((id, seq))
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(acknowledged.count == 1280)
            #expect(Set(acknowledged.map(\.1)) == Set(1...1280))
            for (id, seq) in acknowledged {
                #expect(try log.entry(id: EventID(id))?.sequence == seq)
            }
            for writer in 0..<64 {
                let stream = try log.entries(inStream: StreamID("writer-\(writer)"))
                #expect(stream.map(\.streamVersion) == Array(1...20))
            }
            #expect(try log.verify().ok)
        }
    }

    @Test("concurrent appends are coalesced into fewer group commits than appends")
    func groupCommitCoalesces() async throws {
        let commits = Counter()
        var configuration = LogConfiguration()
        configuration.groupCommitObserver = { _, _ in commits.increment() }
        try await withTemporaryLog(configuration) { log, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<64 {
                    group.addTask { try await log.append(SampleEvents.call("g\(writer)", 0)) }
                }
                try await group.waitForAll()
            }
            #expect(try log.size() == 64)
        }
        #expect(commits.value < 64)
    }

    @Test("an expected-version conflict refuses the batch and writes nothing of it")
    func expectedVersionConflict() async throws {
        try await withTemporaryLog { log, _ in
            try await log.append(SampleEvents.call("ticket-9", 1, expectedVersion: 0))
            await #expect(throws: AppendError.versionConflict(stream: try StreamID("ticket-9"), expected: 0, actual: 1)) {
                try await log.append([SampleEvents.call("other", 1), SampleEvents.call("ticket-9", 2, expectedVersion: 0)])
            }
            #expect(try log.size() == 1)
            #expect(try log.version(of: StreamID("other")) == 0)
            #expect(try await log.append(SampleEvents.call("ticket-9", 2, expectedVersion: 1)) == 2)
        }
    }

    @Test("an append's first step runs on the writer before its commit; one that throws refuses its batch alone")
    func firstStepBeforeCommit() async throws {
        struct NoKey: Error {}
        try await withTemporaryLog { log, _ in
            let sizeSeen = Mutex<UInt64?>(nil)
            try await log.append([SampleEvents.call("ticket-1", 1)], committingFirst: { sizeSeen.withLock { $0 = try? log.size() } })
            #expect(sizeSeen.withLock { $0 } == 0, "the step ran before the batch was committed")
            #expect(try log.size() == 1)
            // Concurrent appends, one of whose steps fails: that one alone is refused.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 2...9 {
                    group.addTask {
                        if n == 5 {
                            await #expect(throws: NoKey.self) {
                                try await log.append([SampleEvents.call("ticket-\(n)", 1)], committingFirst: { throw NoKey() })
                            }
                        } else {
                            try await log.append([SampleEvents.call("ticket-\(n)", 1)], committingFirst: {})
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try log.size() == 8)
            #expect(try log.version(of: StreamID("ticket-5")) == 0)
        }
    }

    @Test("the same event id appended twice is recorded once and reports the original sequence")
    func idempotentAppend() async throws {
        try await withTemporaryLog { log, _ in
            let event = SampleEvents.call("ticket-3", 1, id: "call-42")
            #expect(try await log.append(event) == 1)
            try await log.append(SampleEvents.call("x", 1))
            let retry = try await log.append([event])
            #expect(retry.sequences == [1])
            #expect(retry.duplicates == [true])
            #expect(retry.appendedCount == 0)
            #expect(try log.size() == 2)
            // A retry with a stale expected version still succeeds: it is the same event.
            var stale = event
            stale.expectedVersion = 0
            #expect(try await log.append(stale) == 1)
        }
    }

    @Test("a refused batch leaves its ids unrecorded, so they can be appended afterwards")
    func refusedBatchLeavesIDsFree() async throws {
        try await withTemporaryLog { log, _ in
            try await log.append(SampleEvents.call("ticket-9", 1, expectedVersion: 0))
            let first = SampleEvents.call("other", 1, id: "call-a")
            await #expect(throws: AppendError.versionConflict(stream: try StreamID("ticket-9"), expected: 0, actual: 1)) {
                try await log.append([first, SampleEvents.call("ticket-9", 2, id: "call-b", expectedVersion: 0)])
            }
            #expect(try log.entry(id: EventID("call-a")) == nil)
            let again = try await log.append([first, SampleEvents.call("ticket-9", 2, id: "call-b", expectedVersion: 1)])
            #expect(again.sequences == [2, 3])
            #expect(again.duplicates == [false, false])
            #expect(try log.verify().ok)
        }
    }

    @Test("an id repeated within one batch is recorded once, and refused when the events differ")
    func idRepeatedWithinBatch() async throws {
        try await withTemporaryLog { log, _ in
            let event = SampleEvents.call("ticket-1", 1, id: "call-7")
            let result = try await log.append([event, SampleEvents.call("ticket-2", 1), event])
            #expect(result.sequences == [1, 2, 1])
            #expect(result.duplicates == [false, false, true])
            await #expect(throws: AppendError.idempotencyConflict(id: try EventID("call-8"), existingSequence: 3)) {
                try await log.append([SampleEvents.call("ticket-3", 1, id: "call-8"), SampleEvents.call("ticket-3", 2, id: "call-8")])
            }
            #expect(try log.size() == 2)
            #expect(try log.entry(id: EventID("call-8")) == nil)
            #expect(try log.version(of: StreamID("ticket-3")) == 0)
            #expect(try await log.append(SampleEvents.call("ticket-3", 1, id: "call-8", expectedVersion: 0)) == 3)
            #expect(try log.verify().ok)
        }
    }

    @Test("reusing an event id for a different event is refused")
    func idempotencyConflict() async throws {
        try await withTemporaryLog { log, _ in
            try await log.append(SampleEvents.call("a", 1, id: "call-1"))
            await #expect(throws: AppendError.idempotencyConflict(id: try EventID("call-1"), existingSequence: 1)) {
                try await log.append(SampleEvents.call("a", 2, id: "call-1"))
            }
            #expect(try log.size() == 1)
        }
    }

    @Test("invalid events are refused before anything is written")
    func invalidEvents() async throws {
        var configuration = LogConfiguration()
        configuration.maximumPayloadBytes = 1000
        try await withTemporaryLog(configuration) { log, _ in
            let big = NewEvent(stream: try StreamID("s"), type: "Big", data: ["text": .string(String(repeating: "ş", count: 600))])
            await #expect(throws: AppendError.self) { try await log.append([SampleEvents.call("s", 1), big]) }
            let badType = NewEvent(stream: try StreamID("s"), type: "1 bad", data: [:])
            await #expect(throws: AppendError.self) { try await log.append(badType) }
            let notObject = NewEvent(stream: try StreamID("s"), type: "T", data: [1, 2])
            await #expect(throws: AppendError.self) { try await log.append(notObject) }
            await #expect(throws: AppendError.emptyBatch) { try await log.append([]) }
            #expect(try log.size() == 0)
        }
    }

    @Test("a large batch, prepared on two threads, is written in order and reports its first invalid event")
    func largeBatch() async throws {
        try await withTemporaryLog { log, _ in
            let count = EventLog.parallelPreparationThreshold * 2 + 1
            var events = (0..<count).map { SampleEvents.call("ticket-\($0 / 3)", $0, id: "call-\($0)") }
            let badType = NewEvent(stream: try StreamID("s"), type: "1 bad", data: [:])
            events[count - 2] = badType
            func invalidIndex() async -> Int? {
                do {
                    try await log.append(events)
                    return nil
                } catch AppendError.invalidEvent(let index, _) {
                    return index
                } catch {
                    return -1
                }
            }
            #expect(await invalidIndex() == count - 2)
            events[5] = badType
            #expect(await invalidIndex() == 5)
            #expect(try log.size() == 0)
            events[5] = SampleEvents.call("ticket-1", 5, id: "call-5")
            events[count - 2] = SampleEvents.call("ticket-\((count - 2) / 3)", count - 2, id: "call-\(count - 2)")
            let result = try await log.append(events)
            #expect(result.sequences == Array(1...UInt64(count)))
            let stored = try log.entries(from: 1, limit: count)
            #expect(stored.map(\.id.rawValue) == (0..<count).map { "call-\($0)" })
            let versions: [UInt64] = (0..<count).map { UInt64($0 % 3) + 1 }
            #expect(stored.map(\.streamVersion) == versions)
            #expect(try log.verify().ok)
        }
    }

    @Test("the map grows by itself from a tiny initial size")
    func mapGrowth() async throws {
        var configuration = LogConfiguration()
        configuration.initialMapSize = 64 << 10
        try await withTemporaryLog(configuration) { log, _ in
            let before = log.environment.mapSize
            for batch in 0..<20 {
                try await log.append((0..<100).map { SampleEvents.call("grow-\(batch)", $0) })
            }
            #expect(log.environment.mapSize > before)
            #expect(try log.size() == 2000)
            #expect(try log.verify().ok)
        }
    }

    @Test("a live tail yields past entries, then new ones as they commit")
    func liveTail() async throws {
        try await withTemporaryLog { log, _ in
            try await log.append((1...3).map { SampleEvents.call("t", $0) })
            let reader = Task {
                var seen: [UInt64] = []
                for try await entry in log.tail(from: 2) {
                    seen.append(entry.sequence)
                    if seen.count == 5 { break }
                }
                return seen
            }
            try await Task.sleep(for: .milliseconds(50))
            try await log.append((4...6).map { SampleEvents.call("t", $0) })
            #expect(try await reader.value == [2, 3, 4, 5, 6])
        }
    }

    @Test("a waiting live tail ends when its task is cancelled")
    func liveTailCancellation() async throws {
        try await withTemporaryLog { log, _ in
            let reader = Task {
                var count = 0
                for try await _ in log.tail() { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(50))
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await reader.value }
        }
    }
}

@Suite struct EventLogProofTests {
    @Test("inclusion and consistency proofs from the store verify against its checkpoints")
    func proofsVerify() async throws {
        try await withTemporaryLog { log, _ in
            try await log.append((1...13).map { SampleEvents.call("p", $0) })
            let early = try await log.checkpoint()
            try await log.append((14...37).map { SampleEvents.call("p", $0) })
            let late = try await log.checkpoint()
            try late.verify(with: log.verifierKey)
            #expect(late.checkpoint.treeSize == 37)
            for sequence in UInt64(1)...37 {
                let proof = try log.inclusionProof(sequence: sequence)
                #expect(proof.root == late.checkpoint.root)
                try proof.verify()
                #expect(proof.leafHash == MerkleHash.leaf(try #require(try log.entry(at: sequence)).bytes))
            }
            let consistency = try log.consistencyProof(from: early.checkpoint.treeSize, to: late.checkpoint.treeSize)
            #expect(consistency.oldRoot == early.checkpoint.root)
            #expect(consistency.newRoot == late.checkpoint.root)
            try consistency.verify()
            #expect(throws: LogRequestError.sizeBeyondLog(size: 40, logSize: 37)) { try log.inclusionProof(sequence: 1, treeSize: 40) }
            #expect(throws: LogRequestError.sequenceOutOfRange(sequence: 0, treeSize: 37)) { try log.inclusionProof(sequence: 0) }
        }
    }

    @Test("checkpoints are C2SP signed notes that parse back and reject tampering")
    func checkpointNotes() async throws {
        try await withTemporaryLog { log, _ in
            try await log.append(SampleEvents.call("c", 1))
            let signed = try await log.checkpoint()
            let lines = signed.text.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines[0] == "test.defter/log")
            #expect(lines[1] == "1")
            #expect(lines[3].hasPrefix("time "))
            #expect(lines[4] == "")
            #expect(lines[5].hasPrefix("\u{2014} test.defter/log "))
            let parsed = try SignedCheckpoint(parsing: signed.text)
            #expect(parsed == signed)
            try parsed.verify(with: log.verifierKey)
            let forged = signed.text.replacingOccurrences(of: "\n1\n", with: "\n2\n")
            #expect(throws: CheckpointError.self) { try SignedCheckpoint(parsing: forged).verify(with: log.verifierKey) }
            #expect(try log.checkpoints() == [signed])
            #expect(try CheckpointVerifierKey(vkey: log.verifierKey.vkey) == log.verifierKey)
        }
    }
}

/// A thread-safe counter for observers.
final class Counter: @unchecked Sendable {
    // Safe: every access holds `lock`.
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
