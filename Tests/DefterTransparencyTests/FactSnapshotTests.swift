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

    @Test("a store at another checkpoint than asked gives no facts and leaves no file behind")
    func otherCheckpoint() async throws {
        try await withSeededCity(calls: 50) { city in
            let folder = city.folder.appendingPathComponent("snapshots")
            let applied = try city.projections.stats.checkpoint()
            #expect(try FactSnapshot.write(city.projections.stats, atCheckpoint: applied - 1, into: folder) == nil)
            #expect(try FactSnapshot.write(city.projections.stats, atCheckpoint: applied + 1, into: folder) == nil)
            #expect(try city.projections.stats.facts(atCheckpoint: applied - 1) == nil)
            #expect(try city.projections.stats.facts(atCheckpoint: applied) == city.projections.stats.facts())
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        }
    }

    @Test("a snapshot file cut short, or not a snapshot at all, is refused with what it is")
    func damagedFile() async throws {
        try await withSeededCity(calls: 50) { city in
            let folder = city.folder.appendingPathComponent("snapshots")
            let applied = try city.projections.stats.checkpoint()
            let snapshot = try #require(try FactSnapshot.write(city.projections.stats, atCheckpoint: applied, into: folder))
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

    @Test("the mapped facts stay readable after a newer snapshot removes their file")
    func readableAfterRemoval() async throws {
        try await withSeededCity(calls: 50) { city in
            let folder = city.folder.appendingPathComponent("snapshots")
            let applied = try city.projections.stats.checkpoint()
            let snapshot = try #require(try FactSnapshot.write(city.projections.stats, atCheckpoint: applied, into: folder))
            try FileManager.default.removeItem(at: folder.appendingPathComponent(snapshot.fileName))
            #expect(try snapshot.facts { _ in true }.count == snapshot.count)
        }
    }
}
