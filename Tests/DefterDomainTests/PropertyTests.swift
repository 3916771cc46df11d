import Foundation
import Testing

@testable import DefterDomain

/// SplitMix64: a small seeded generator, so that a failing sequence can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct LifecyclePropertyTests {
    static func randomCommand(_ random: inout SeededGenerator, at: Date) -> TicketCommand {
        let by = ActorID(unchecked: "ekip")
        let departments = [Fixtures.cleaning, Fixtures.roads, DepartmentID(unchecked: "uzay")]
        let acting: DepartmentID? = Bool.random(using: &random) ? nil : departments.randomElement(using: &random)
        switch Int.random(in: 0..<14, using: &random) {
        case 0:
            return .overrideRouting(
                department: departments.randomElement(using: &random)!, category: nil, reason: "operatör kararı", by: by, at: at)
        case 1:
            return .refer(
                to: departments.randomElement(using: &random)!, category: nil, reason: "yanlış birim", actingDepartment: acting, by: by,
                at: at)
        case 2: return .assign(assignee: "ekip-\(Int.random(in: 1...3, using: &random))", actingDepartment: acting, by: by, at: at)
        case 3: return .acknowledge(actingDepartment: acting, by: by, at: at)
        case 4: return .startWork(actingDepartment: acting, by: by, at: at)
        case 5: return .resolve(code: "done", note: "", actingDepartment: acting, by: by, at: at)
        case 6: return .close(reason: "confirmed", by: by, at: at)
        case 7: return .reopen(reason: "düzelmedi", by: by, at: at)
        case 8:
            return .mergeAsDuplicate(of: Bool.random(using: &random) ? Fixtures.ticket : TicketID(year: 2025, sequence: 9), by: by, at: at)
        case 9: return .cancel(reason: .invalid, note: "", by: by, at: at)
        case 10: return .notifyCitizen(channel: "sms", template: "update", by: by, at: at)
        case 11: return .recordFeedback(satisfaction: Int.random(in: 0...6, using: &random), at: at)
        case 12: return .escalate(at: at)
        default: return .acknowledge(actingDepartment: nil, by: by, at: at)
        }
    }

    /// What must hold of every state the rules can reach.
    static func checkInvariants(_ ticket: Ticket, history: [TicketEvent]) {
        #expect(ticket.version == history.count)
        #expect((try? TicketRules.replay(history)) == ticket, "replaying the history gives the same state")
        switch ticket.status {
        case .routed, .acknowledged, .inProgress:
            #expect(ticket.department != nil && ticket.department != .triage && ticket.dueAt != nil)
        case .triage:
            #expect(ticket.department == .triage)
        case .resolved, .closed:
            #expect(ticket.resolvedAt != nil)
        case .merged:
            #expect(ticket.duplicateOf != nil && ticket.duplicateOf != ticket.id)
        default: break
        }
        if ticket.status == .closed { #expect(ticket.closedAt != nil && ticket.closedAt! >= ticket.resolvedAt!) }
        if ticket.status == .inProgress { #expect(ticket.acknowledgedAt != nil && ticket.startedAt != nil) }
        if let acknowledged = ticket.acknowledgedAt, let started = ticket.startedAt { #expect(acknowledged <= started) }
        if let satisfaction = ticket.satisfaction { #expect((1...5).contains(satisfaction)) }
        #expect(Set(ticket.escalatedDeadlines).count == ticket.escalatedDeadlines.count, "one escalation per deadline")
        #expect(ticket.reopenCount >= 0 && ticket.referralCount >= 0)
    }

    @Test("random command sequences never reach a state the rules forbid", arguments: 0..<40)
    func randomSequences(seed: UInt64) throws {
        var random = SeededGenerator(state: seed &* 7919)
        let confident = Bool.random(using: &random)
        var history = try TicketRules.decide(
            Fixtures.ticket, nil, .receiveCall(Fixtures.intake(routing: Fixtures.decision(confidence: confident ? 0.9 : 0.2))),
            catalog: Fixtures.catalog)
        var ticket = try #require(try TicketRules.replay(history))
        var clock = Fixtures.t0
        var accepted = 0
        for _ in 0..<60 {
            clock = clock.addingTimeInterval(Double(Int.random(in: 60...40_000, using: &random)))
            let command = Self.randomCommand(&random, at: clock)
            let events: [TicketEvent]
            do {
                events = try TicketRules.decide(Fixtures.ticket, ticket, command, catalog: Fixtures.catalog)
            } catch {
                // A refusal must leave the state as it was and explain itself.
                #expect(!error.description.isEmpty)
                continue
            }
            accepted += 1
            for event in events { ticket = try TicketRules.evolve(ticket, event) }
            history += events
            Self.checkInvariants(ticket, history: history)
        }
        #expect(accepted > 0, "the sequence must exercise some transitions")
    }
}

@Suite struct PersonalDataTests {
    @Test("valid T.C. kimlik numbers pass; mistyped ones are refused with the reason", arguments: ["10000000146", "12345678950"])
    func validNationalIDs(id: String) throws {
        #expect(try TurkishNationalID.validate(id) == id)
    }

    @Test(
        "invalid T.C. kimlik numbers are refused",
        arguments: [
            ("10000000147", "check digits"), ("01234567890", "cannot start with 0"), ("1234567895", "exactly 11 digits"),
            ("1234567895a", "exactly 11 digits"),
        ])
    func invalidNationalIDs(id: String, reason: String) {
        #expect { try TurkishNationalID.validate(id) } throws: { ($0 as? DomainInputError)?.reason.contains(reason) == true }
    }

    @Test(
        "phone numbers normalise to +90",
        arguments: [
            ("0532 123 45 67", "+905321234567"), ("+90 (532) 123-45-67", "+905321234567"), ("5321234567", "+905321234567"),
            ("0090 344 221 00 00", "+903442210000"),
        ])
    func phones(input: String, expected: String) throws {
        #expect(try TurkishPhoneNumber.normalise(input) == expected)
    }

    @Test("numbers that are not Turkish phones are refused", arguments: ["12345", "0532 123 45 67 8", "call me", "0123 456 78 90"])
    func badPhones(input: String) {
        #expect(throws: DomainInputError.self) { try TurkishPhoneNumber.normalise(input) }
    }

    @Test("a description over 4,000 characters is refused, saying how long it was")
    func longDescription() {
        let data = PersonalData(text: String(repeating: "ç", count: 4001))
        #expect(throws: DomainInputError(field: "text", reason: "the description is 4001 characters long; the limit is 4000")) {
            try data.validated()
        }
    }

    @Test("validation trims the text and normalises the phone")
    func normalises() throws {
        let data = try PersonalData(name: " Ayşe ", phone: "0532 123 45 67", text: "  Çöp toplanmadı  ").validated()
        #expect(data.text == "Çöp toplanmadı")
        #expect(data.phone == "+905321234567")
        #expect(data.name == "Ayşe")
        #expect(data.presentFields == ["name", "phone", "text"])
    }
}
