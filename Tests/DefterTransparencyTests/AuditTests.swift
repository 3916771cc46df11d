import DefterLogTestSupport
import DefterProjections
import DefterTickets
import DefterTransparency
import Foundation
import Testing

@testable import DefterDomain
@testable import DefterLog

@Suite struct AuditTests {
    func audit(_ city: SeededCity, projections: Bool = true) async throws -> AuditReport {
        try await Auditor.audit(
            city.log, projections: projections ? city.projections : nil,
            scratch: city.folder.appendingPathComponent("audit-scratch-\(UUID().uuidString)"))
    }

    @Test("a log written only through the ticket service audits clean, every check run")
    func clean() async throws {
        try await withSeededCity(calls: 300) { city in
            _ = try await city.log.checkpoint()
            try await appendRaw(
                .citizenNotified(
                    .init(ticket: try TicketID("2025-000001"), at: Date(), by: ActorID(unchecked: "sms"), channel: "sms", template: "t")),
                to: city.log)
            _ = try await city.log.checkpoint()
            try city.projections.catchUp()
            let report = try await audit(city)
            #expect(report.isClean, "\(report.findings)")
            #expect(report.checkpoints == 2)
            #expect(report.projectionsCompared == ["tickets v3", "queues v6", "stats v3"])
            #expect(report.observations.tickets == 300)
            #expect(report.logSize == (try city.log.size()))
        }
    }

    @Test("an entry changed in place is found by the log check")
    func rewrittenEntry() async throws {
        try await withSeededCity(calls: 50) { city in
            let entry = try #require(try city.log.entry(at: 20))
            var bytes = entry.bytes
            bytes[bytes.count - 3] ^= 0x01
            try city.log.rewriteEntryForTesting(20, bytes: bytes, rehash: false)
            let report = try await audit(city, projections: false)
            #expect(report.findings.contains { $0.check == .log })
        }
    }

    @Test("a log rewritten after a checkpoint, even with its tree recomputed, breaks that checkpoint")
    func rewrittenAfterCheckpoint() async throws {
        try await withSeededCity(calls: 50) { city in
            _ = try await city.log.checkpoint()
            let entry = try #require(try city.log.entry(at: 30))
            let forged = String(decoding: entry.bytes, as: UTF8.self).replacingOccurrences(of: "\"actor\":\"", with: "\"actor\":\"x")
            try city.log.rewriteEntryForTesting(30, bytes: Array(forged.utf8), rehash: true)
            let report = try await audit(city, projections: false)
            let findings = report.findings.filter { $0.check == .checkpoints }
            #expect(findings.map(\.subject) == ["checkpoint #1"])
            #expect(findings.first?.message.contains("rewritten") == true)
        }
    }

    @Test("entries removed after a checkpoint was published are reported as truncation")
    func truncated() async throws {
        try await withSeededCity(calls: 50) { city in
            _ = try await city.log.checkpoint()
            try city.log.removeNewestEntriesForTesting(5)
            let report = try await audit(city, projections: false)
            #expect(report.findings.contains { $0.check == .checkpoints && $0.message.contains("entries were removed") })
        }
    }

    @Test("a projection whose state differs from a fresh replay is named, with how to rebuild it")
    func tamperedProjection() async throws {
        try await withSeededCity(calls: 80) { city in
            try city.projections.stats.store.write { writer in
                try writer.put("facts", Array("2025-000003".utf8), Array(#"{"forged":true}"#.utf8))
            }
            let report = try await audit(city)
            let findings = report.findings.filter { $0.check == .projections }
            #expect(findings.map(\.subject) == ["stats v3"])
            #expect(findings.first?.message.contains("defter replay --projection stats") == true)
        }
    }

    @Test("events that break the ticket rules are found: resolved before opened, work after closure, time running backwards")
    func brokenRules() async throws {
        try await withSeededCity(calls: 120) { city in
            let information = try await firstTicket(in: city) { $0.status == .closedAtFirstContact }
            let closed = try await firstTicket(in: city) { $0.status == .closed }
            let open = try await firstTicket(in: city) { $0.status.isOpen }
            let crew = ActorID(unchecked: "ekip-9")
            try await appendRaw(
                .ticketResolved(
                    .init(
                        ticket: information.id, at: information.receivedAt.addingTimeInterval(60), by: crew, resolutionCode: "done",
                        note: "")),
                to: city.log)
            try await appendRaw(
                .ticketAcknowledged(.init(ticket: closed.id, at: closed.closedAt!.addingTimeInterval(365 * 86400), by: crew)), to: city.log)
            try await appendRaw(
                .citizenNotified(
                    .init(ticket: open.id, at: open.receivedAt.addingTimeInterval(-3600), by: crew, channel: "sms", template: "x")),
                to: city.log)
            let report = try await audit(city, projections: false)
            let rules = report.findings.filter { $0.check == .rules }
            #expect(rules.count == 3, "\(rules.map(\.message))")
            #expect(
                rules.contains {
                    $0.subject == "ticket \(information.id)" && $0.message.contains("TicketResolved while closed-at-first-contact")
                })
            #expect(rules.contains { $0.subject == "ticket \(closed.id)" && $0.message.contains("TicketAcknowledged while closed") })
            #expect(rules.contains { $0.subject == "ticket \(open.id)" && $0.message.contains("before the ticket's previous event") })
        }
    }

    @Test("a ticket event on another ticket's stream is found")
    func wrongStream() async throws {
        try await withSeededCity(calls: 20) { city in
            let event = TicketEvent.citizenNotified(
                .init(ticket: try TicketID("2025-000002"), at: Date(), by: ActorID(unchecked: "sms"), channel: "sms", template: "x"))
            try await city.log.append(
                NewEvent(
                    stream: try StreamID("ticket-2025-000001"), type: event.typeName,
                    data: try JSONValue(parsing: Array(TicketEventCodec.encode(event)))))
            let report = try await audit(city, projections: false)
            #expect(report.findings.contains { $0.check == .rules && $0.message.contains("is on stream 'ticket-2025-000001'") })
        }
    }

    /// 2026-01-01T00:00Z: after every event of the seeded 2025.
    static let afterTheSeededYear = Date(timeIntervalSince1970: 1_767_225_600)

    @Test("observations: overdue tickets, repeated referrals, overrides per operator, cancellations per reason, erasures")
    func observations() async throws {
        try await withSeededCity(calls: 400) { city in
            // Any ticket a department still holds (which one depends on the seeded router's
            // choices), referred after the seeded year so the referrals come after its events.
            let open = try await firstTicket(in: city) {
                [.routed, .acknowledged, .inProgress].contains($0.status) && $0.department != .triage
            }
            let by = ActorID(unchecked: "op-1")
            // Three referrals, each to a department the ticket is not with.
            let departments = ["fen-isleri", "temizlik", "zabita", "itfaiye"].map { DepartmentID(unchecked: $0) }.filter {
                $0 != open.department
            }
            .prefix(3)
            for (index, department) in departments.enumerated() {
                _ = try await city.service.handle(
                    .refer(
                        to: department, category: nil, reason: "not ours", actingDepartment: nil, by: by,
                        at: Self.afterTheSeededYear.addingTimeInterval(Double(index + 1) * 60)),
                    on: open.id, actor: by)
            }
            let citizen = open.citizen
            #expect(try await city.service.eraseCitizen(citizen, by: by, reason: "KVKK request"))
            let report = try await audit(city, projections: false)
            #expect(report.isClean, "\(report.findings)")
            let o = report.observations
            #expect(o.referredMoreThanTwice.map(\.ticket).contains(open.id))
            #expect(o.erasures == 1)
            // Every overdue ticket is open, had a deadline before the newest event, and is listed once.
            #expect(Set(o.overdue.map(\.ticket)).count == o.overdue.count)
            for item in o.overdue { #expect(item.dueAt < o.asOf!) }
            // Counts agree with the events themselves.
            var overrides: [String: Int] = [:]
            var cancellations: [String: Int] = [:]
            for entry in try city.log.entries(from: 1, limit: 1_000_000) {
                let data = try entry.data()
                if entry.type == "RoutingOverridden" { overrides[data["operatorId"]!.stringValue!, default: 0] += 1 }
                if entry.type == "TicketCancelled" { cancellations[data["reason"]!.stringValue!, default: 0] += 1 }
            }
            #expect(o.overridesByOperator == overrides)
            #expect(o.cancellationsByReason == cancellations)
            #expect(!overrides.isEmpty && !cancellations.isEmpty, "the seeded city has overrides and cancellations to count")
        }
    }
}
