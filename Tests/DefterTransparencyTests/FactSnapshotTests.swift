import DefterLog
import DefterTickets
import Foundation
import Testing

@testable import DefterDomain
@testable import DefterProjections
@testable import DefterTransparency

/// The public figures' facts kept in a file at a checkpoint (`FactSnapshot`) rather than in memory.
@Suite struct FactSnapshotTests {
    @Test("a snapshot holds exactly the facts the statistics hold at its checkpoint, and its days")
    func sameFacts() async throws {
        try await withSeededCity(calls: 300) { city in
            let folder = city.folder.appendingPathComponent("snapshots")
            let (checkpoint, snapshot) = try await AccountabilityReport.factSnapshotAtCheckpoint(
                projections: city.projections, log: city.log, into: folder)
            let facts = try city.projections.stats.facts()
            #expect(snapshot.treeSize == checkpoint.checkpoint.treeSize)
            #expect(try city.projections.stats.checkpoint() == snapshot.treeSize)
            #expect(try snapshot.facts { _ in true } == facts)
            #expect(snapshot.count == facts.count)
            #expect(snapshot.days == Set(facts.map(\.day)).sorted())
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [snapshot.fileName])
        }
    }

    @Test("a report from a period's facts of a snapshot equals the report from every fact, empty periods included")
    func sameReports() async throws {
        try await withSeededCity(calls: 300) { city in
            let (checkpoint, snapshot) = try await AccountabilityReport.factSnapshotAtCheckpoint(
                projections: city.projections, log: city.log, into: city.folder.appendingPathComponent("snapshots"))
            let facts = try city.projections.stats.facts()
            let catalog = try BundledCatalog.load()
            // A year, a month, a period before the log's first call, and one after its last.
            for label in ["2025", "2025-03", "2019", "2031-02"] {
                let period = try ReportPeriod(parsing: label)
                let fromEveryFact = AccountabilityReport(facts: facts, period: period, checkpoint: checkpoint, catalog: catalog)
                let fromSnapshot = AccountabilityReport(
                    factsInPeriod: try snapshot.facts { period.contains(day: $0.day) }, lastCallDay: snapshot.days.last,
                    period: period, checkpoint: checkpoint, catalog: catalog)
                #expect(fromSnapshot.json(language: .tr) == fromEveryFact.json(language: .tr), "period \(label)")
                #expect(fromSnapshot.emptyReason == fromEveryFact.emptyReason, "period \(label)")
            }
        }
    }

    @Test("a snapshot is taken at the statistics' own checkpoint, which a checkpoint is then signed at, however far the log has grown")
    func checkpointOfWhatWasRead() async throws {
        try await withSeededCity(calls: 50) { city in
            let applied = try city.projections.stats.checkpoint()
            // The log grows past the statistics, as it does while the service takes calls.
            for number in 1...5 {
                try await city.log.append(
                    NewEvent(stream: try StreamID("test-\(number)"), type: "TestNoted", data: ["n": .integer(Int64(number))], actor: "test")
                )
            }
            let head = try city.log.size()
            #expect(head > applied)
            let snapshot = try FactSnapshot.write(city.projections.stats, into: city.folder.appendingPathComponent("snapshots"))
            #expect(snapshot.treeSize == applied)
            #expect(try city.projections.stats.factsWithCheckpoint().checkpoint == applied)
            let signed = try await city.log.checkpoint(atSize: snapshot.treeSize)
            #expect(signed.checkpoint.treeSize == applied)
            #expect(signed.checkpoint.root == (try city.log.root(size: applied).root))
            try signed.verify(with: city.log.verifierKey)
        }
    }

    @Test("a checkpoint is signed at a size no larger than the log and no smaller than the newest one")
    func checkpointSizes() async throws {
        try await withSeededCity(calls: 20) { city in
            let head = try city.log.size()
            await #expect(throws: LogRequestError.sizeBeyondLog(size: head + 1, logSize: head)) {
                try await city.log.checkpoint(atSize: head + 1)
            }
            let stored = try city.log.checkpoints().count
            let first = try await city.log.checkpoint(atSize: head - 5)
            let error = await #expect(throws: LogRequestError.olderThanNewestCheckpoint(size: head - 6, newest: head - 5)) {
                try await city.log.checkpoint(atSize: head - 6)
            }
            #expect(error?.description.contains("checkpoints only grow") == true)
            // Asked again at the newest checkpoint's size: that checkpoint, not a second note.
            #expect(try await city.log.checkpoint(atSize: head - 5).text == first.text)
            #expect(try city.log.checkpoints().count == stored + 1)
            #expect(try await city.log.checkpoint().checkpoint.treeSize == head)
        }
    }

    @Test("a snapshot file cut short, or not a snapshot at all, is refused with what it is")
    func damagedFile() async throws {
        try await withSeededCity(calls: 50) { city in
            let folder = city.folder.appendingPathComponent("snapshots")
            let snapshot = try FactSnapshot.write(city.projections.stats, into: folder)
            let file = folder.appendingPathComponent(snapshot.fileName)
            let bytes = try Data(contentsOf: file)
            let cut = folder.appendingPathComponent("cut.facts")
            try bytes.prefix(bytes.count - 3).write(to: cut)
            #expect(throws: StorageError.self) { try FactSnapshot(mapping: cut) }
            let other = folder.appendingPathComponent("other.facts")
            try Data("not a snapshot of anything".utf8).write(to: other)
            let error = try #require(throws: StorageError.self) { try FactSnapshot(mapping: other) }
            #expect("\(error)".contains("not a snapshot of the statistics facts"))
        }
    }

    @Test("a snapshot's file goes with its last copy, so a snapshot written and then not used leaves nothing behind")
    func fileGoesWithSnapshot() async throws {
        try await withSeededCity(calls: 20) { city in
            let folder = city.folder.appendingPathComponent("snapshots")
            do {
                let snapshot = try FactSnapshot.write(city.projections.stats, into: folder)
                #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [snapshot.fileName])
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        }
    }

    @Test("the mapped facts stay readable after a newer snapshot removes their file")
    func readableAfterRemoval() async throws {
        try await withSeededCity(calls: 50) { city in
            let folder = city.folder.appendingPathComponent("snapshots")
            let snapshot = try FactSnapshot.write(city.projections.stats, into: folder)
            try FileManager.default.removeItem(at: folder.appendingPathComponent(snapshot.fileName))
            #expect(try snapshot.facts { _ in true }.count == snapshot.count)
        }
    }
}
