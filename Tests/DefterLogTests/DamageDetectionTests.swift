import DefterLogTestSupport
import Foundation
import Testing

@testable import DefterLog

@Suite struct DamageDetectionTests {
    /// Makes a compacted copy (only live pages, so each entry's bytes occur once in the file),
    /// flips one byte inside `marker`, and verifies the copy.
    func verifyCopy(of log: EventLog, flippingByteIn marker: String, in root: URL) throws -> VerificationReport {
        let copy = root.appendingPathComponent("copy-\(UUID().uuidString)")
        #expect(try log.backup(to: copy).ok)
        let file = copy.appendingPathComponent("data.mdb")
        var bytes = try Data(contentsOf: file)
        let range = try #require(bytes.range(of: Data(marker.utf8)), "marker \(marker) not found in the data file")
        #expect(bytes[range.upperBound...].range(of: Data(marker.utf8)) == nil, "marker must occur once")
        bytes[range.upperBound - 1] ^= 0x01
        try bytes.write(to: file)
        let damaged = try openReadOnly(copy)
        defer { damaged.close() }
        return try damaged.verify()
    }

    @Test("a byte flipped in any entry is found by verify at that sequence")
    func flippedByteInEveryEntry() async throws {
        try await withTemporaryDirectory { root in
            let log = try EventLog.open(at: root.appendingPathComponent("data"))
            defer { log.close() }
            try await log.append((1...24).map { SampleEvents.call("flip", $0) })
            for number in 1...24 {
                let report = try verifyCopy(of: log, flippingByteIn: SampleEvents.marker("flip", number), in: root)
                #expect(!report.ok)
                #expect(report.firstBadSequence == UInt64(number))
                #expect(report.reason?.contains("altered") == true)
            }
        }
    }

    @Test("a truncated log is detected against the last checkpoint")
    func truncation() async throws {
        try await withTemporaryLog { log, _ in
            try await log.append((1...20).map { SampleEvents.call("trunc", $0) })
            _ = try await log.checkpoint()
            try log.removeNewestEntriesForTesting(3)
            let report = try log.verify()
            #expect(!report.ok)
            #expect(report.firstBadSequence == 18)
            #expect(report.reason?.contains("removed") == true)
        }
    }

    @Test("a careful rewrite that recomputes the tree is caught by the checkpoint it contradicts")
    func rewriteCaughtByCheckpoint() async throws {
        try await withTemporaryLog { log, _ in
            try await log.append((1...10).map { SampleEvents.call("rw", $0) })
            _ = try await log.checkpoint()
            try await log.append((11...16).map { SampleEvents.call("rw", $0) })
            _ = try await log.checkpoint()
            let original = try #require(try log.entry(at: 12))
            let forged = Array(String(decoding: original.bytes, as: UTF8.self).replacingOccurrences(of: "Çöp", with: "Cop").utf8)
            try log.rewriteEntryForTesting(12, bytes: forged, rehash: true)
            let report = try log.verify()
            #expect(!report.ok)
            #expect(report.firstBadSequence == 11)
            #expect(report.reason?.contains("checkpoint #2") == true)
        }
    }

    @Test("a folder that is not a Defter log is reported as such, never crashed on")
    func notALog() async throws {
        try await withTemporaryDirectory { root in
            let stray = root.appendingPathComponent("stray")
            try FileManager.default.createDirectory(at: stray, withIntermediateDirectories: true)
            try Data("hello".utf8).write(to: stray.appendingPathComponent("notes.txt"))
            #expect { try EventLog.open(at: stray) } throws: { ($0 as? StorageError)?.kind == .notALog }

            let garbage = root.appendingPathComponent("garbage")
            try FileManager.default.createDirectory(at: garbage, withIntermediateDirectories: true)
            try Data(repeating: 0xAB, count: 64 * 1024).write(to: garbage.appendingPathComponent("data.mdb"))
            #expect { try EventLog.open(at: garbage) } throws: { ($0 as? StorageError)?.kind == .notALog }

            let file = root.appendingPathComponent("file")
            try Data("x".utf8).write(to: file)
            #expect { try EventLog.open(at: file) } throws: { ($0 as? StorageError)?.kind == .notALog }

            #expect { try openReadOnly(root.appendingPathComponent("missing")) } throws: { ($0 as? StorageError)?.kind == .missing }
        }
    }

    @Test("a closed log refuses work with a clear error")
    func closedLog() async throws {
        try await withTemporaryDirectory { root in
            let log = try EventLog.open(at: root.appendingPathComponent("data"))
            log.close()
            await #expect { try await log.append(SampleEvents.call("c", 1)) } throws: { ($0 as? StorageError)?.kind == .closed }
            #expect { try log.size() } throws: { ($0 as? StorageError)?.kind == .closed }
        }
    }
}
