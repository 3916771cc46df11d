import DefterLog
import DefterProjections
import DefterTickets
import DefterTransparency
import Foundation

/// Transparency benchmarks over a seeded year whose projections are caught up: a full audit
/// (log, checkpoints, projections against a fresh replay, ticket rules) against verifying the
/// log alone, and producing the year's HTML report.
enum TransparencyBench {
    static func run(log: EventLog, projections: Projections, scratch: URL) async throws -> [Measurement] {
        let events = Double(try log.size())
        _ = try await log.checkpoint()
        let verifySeconds = try seconds { _ = try log.verify() }
        var audit: AuditReport?
        let auditSeconds = try await secondsAsync {
            audit = try await Auditor.audit(log, projections: projections, scratch: scratch.appendingPathComponent("audit"))
        }
        guard audit?.isClean == true else { throw BenchError("the benchmark's audit found problems: \(audit?.findings ?? [])") }
        let ruleSeconds = try await secondsAsync {
            _ = try await Auditor.audit(log, projections: nil, scratch: scratch.appendingPathComponent("audit-rules"))
        }
        var bytes = 0
        let reportSeconds = try seconds {
            let checkpoint = try log.newestCheckpoint()!
            let report = AccountabilityReport(
                facts: try projections.stats.facts(), period: try ReportPeriod(parsing: "2025"), checkpoint: checkpoint,
                catalog: try TicketService.publishedCatalog(in: log))
            bytes = report.rendered(as: .html, language: .tr).count
        }
        return [
            Measurement(
                name: "full audit (with projection replay)", value: events / auditSeconds, unit: "events/s",
                baselineName: "log verify alone", baseline: events / verifySeconds, lowerIsBetter: false),
            Measurement(
                name: "audit without projection replay", value: events / ruleSeconds, unit: "events/s",
                baselineName: "log verify alone", baseline: events / verifySeconds, lowerIsBetter: false),
            Measurement(
                name: "year report, HTML (\(bytes / 1024) KiB)", value: reportSeconds, unit: "s", baselineName: nil, baseline: nil,
                lowerIsBetter: true),
        ]
    }
}
