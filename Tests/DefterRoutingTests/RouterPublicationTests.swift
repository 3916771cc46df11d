import DefterDomain
import DefterLog
import DefterLogTestSupport
import DefterRouting
import DefterTickets
import Foundation
import Testing

@Suite struct RouterPublicationTests {
    static let t0 = Date(timeIntervalSince1970: 1_796_025_600)  // 2026-12-01T08:00:00Z

    static func call(_ n: Int, _ text: String) -> CallRequest {
        CallRequest(
            callId: "router-\(n)", channel: .phone, operatorId: "op-7", at: t0.addingTimeInterval(Double(n) * 60), district: "Onikişubat",
            neighbourhood: "Hayrullah", caller: PersonalData(text: text), category: nil, informationTopic: nil)
    }

    /// A new log and vault with the bundled router (its trained model), and a way to start a
    /// ticket service on them, as a restart would.
    static func withBundledRouter(_ body: (EventLog, Router, () -> TicketService) async throws -> Void) async throws {
        try await withTemporaryLog { log, folder in
            let vault = try KeyVault.open(at: folder.appendingPathComponent("vault"))
            defer { vault.close() }
            let catalog = try BundledCatalog.load()
            let router = try Router.bundled(catalog: catalog)
            try await body(log, router) {
                TicketService(log: log, vault: vault, router: router, bundledCatalog: catalog, clock: { Self.t0 })
            }
        }
    }

    @Test("a router version is published once, before its first decision, and replayed decisions name it")
    func publishedOnceAndNamed() async throws {
        try await Self.withBundledRouter { log, router, service in
            let model = try #require(router.linearModel)
            let first = try await service().receiveCall(Self.call(1, "Sokağımızdaki çöpler üç gündür toplanmadı"))
            // A restart with the same router version publishes nothing new.
            let second = try await service().receiveCall(Self.call(2, "Parktaki salıncağın zinciri kopmuş"))

            let published = try TicketService.publishedRouters(in: log)
            #expect(published.count == 1)
            #expect(published.first?.version == router.version)
            #expect(published.first?.modelDigest == model.digest)
            #expect(published.first?.trainingDataDigest == model.trainingDataDigest)
            #expect(published.first?.at == Self.t0)
            #expect(published[0].version.hasPrefix("lr-2026.12-"))
            #expect(published[0].version.hasSuffix(String(model.digest.prefix(12))))
            let entry = try #require(try log.entry(id: EventID("router:\(router.version)")))
            // Published before the first ticket's events.
            let firstTicketEntries = try log.entries(inStream: StreamID(first.ticket.streamName), fromVersion: 1, limit: 100)
            #expect(entry.sequence < (firstTicketEntries.first?.sequence ?? 0))

            // Replay: every decision recorded in the log names a published version.
            let versions = Set(published.map(\.version))
            var decisions = 0
            for ticket in [first.ticket, second.ticket] {
                for entry in try log.entries(inStream: StreamID(ticket.streamName), fromVersion: 1, limit: 100) {
                    guard case .ticketRouted(let routed)? = try TicketService.ticketEvent(entry) else { continue }
                    #expect(versions.contains(routed.decision.routerVersion))
                    decisions += 1
                }
            }
            #expect(decisions == 2)
        }
    }

    @Test("the first calls of a new router version, arriving at once, are all numbered: one of them carries the publication")
    func firstCallsAtOnce() async throws {
        try await Self.withBundledRouter { log, router, start in
            let service = start()
            let count = 64
            let tickets = try await withThrowingTaskGroup(of: TicketID.self) { group in
                for n in 1...count {
                    group.addTask { try await service.receiveCall(Self.call(n, "Sokağımızdaki çöpler \(n) gündür toplanmadı")).ticket }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(tickets.map { Int($0.rawValue.suffix(6))! }.sorted() == Array(1...count))
            let published = try #require(try log.entry(id: EventID("router:\(router.version)")))
            #expect(try TicketService.publishedRouters(in: log).count == 1)
            for ticket in tickets {
                let first = try #require(try log.entries(inStream: StreamID(ticket.streamName), fromVersion: 1, limit: 1).first)
                #expect(published.sequence < first.sequence)
            }
        }
    }
}
