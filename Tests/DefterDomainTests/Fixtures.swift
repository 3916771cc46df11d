import Foundation

@testable import DefterDomain

/// Small, named fixtures for domain tests: a two-department catalog and a call.
enum Fixtures {
    static let catalog = try! Catalog(
        version: 1, effectiveFrom: "2025-01-01T00:00:00.000Z",
        departments: [
            .init(
                id: DepartmentID(unchecked: "temizlik"), name: "Temizlik İşleri", gloss: "Cleaning",
                categories: [
                    .init(
                        id: CategoryID(unchecked: "temizlik.cop-toplama"), name: "Çöp toplanmaması", gloss: "Garbage", standardHours: 24,
                        priority: 2, season: nil)
                ]),
            .init(
                id: DepartmentID(unchecked: "fen-isleri"), name: "Fen İşleri", gloss: "Roads",
                categories: [
                    .init(
                        id: CategoryID(unchecked: "fen-isleri.asfalt"), name: "Asfalt", gloss: "Asphalt", standardHours: 72, priority: 3,
                        season: nil),
                    .init(
                        id: CategoryID(unchecked: "fen-isleri.kaldirim"), name: "Kaldırım", gloss: "Pavement", standardHours: 120,
                        priority: 3, season: nil),
                ]),
        ])

    static let ticket = TicketID(year: 2025, sequence: 123)
    static let operatorID = ActorID(unchecked: "op-7")
    static let roads = DepartmentID(unchecked: "fen-isleri")
    static let cleaning = DepartmentID(unchecked: "temizlik")
    static let t0 = Date(timeIntervalSince1970: 1_740_816_900)  // 2025-03-01T08:15:00Z

    static func decision(_ department: String = "temizlik", _ category: String = "temizlik.cop-toplama", confidence: Double = 0.9)
        -> RoutingDecision
    {
        RoutingDecision(
            department: DepartmentID(unchecked: department), category: CategoryID(unchecked: category), confidence: confidence,
            auto: confidence >= 0.6, routerVersion: "test-router", threshold: 0.6, alternatives: [], terms: ["çöp"])
    }

    static func intake(
        ticket: TicketID = ticket, district: String = "Onikişubat", routing: RoutingDecision? = decision(), information: String? = nil,
        category: CategoryID? = nil
    ) -> CallIntake {
        CallIntake(
            ticket: ticket, callId: "call-\(ticket)", channel: .phone, operatorId: operatorID, at: t0,
            location: Location(district: district, neighbourhood: "Hayrullah"),
            personalData: SealedPersonalData(citizen: CitizenRef(unchecked: "c-1"), sealed: "AAAA", fields: ["text"]), textLength: 42,
            operatorCategory: category, informationTopic: information, routing: routing)
    }

    /// The ticket after intake routed it to cleaning.
    static func routedTicket() throws -> Ticket {
        try TicketRules.replay(try TicketRules.decide(ticket, nil, .receiveCall(intake()), catalog: catalog))!
    }

    static func apply(_ commands: [TicketCommand], to start: Ticket?) throws -> Ticket? {
        var state = start
        for command in commands {
            for event in try TicketRules.decide(ticket, state, command, catalog: catalog) { state = try TicketRules.evolve(state, event) }
        }
        return state
    }

    static func hours(_ h: Double) -> Date { t0.addingTimeInterval(h * 3600) }
}
