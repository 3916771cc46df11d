import Foundation
import Testing

@testable import DefterDomain

@Suite struct IntakeTests {
    @Test("a confident routing sends the call to its department with the service-standard deadline")
    func confidentRouting() throws {
        let events = try TicketRules.decide(Fixtures.ticket, nil, .receiveCall(Fixtures.intake()), catalog: Fixtures.catalog)
        #expect(events.map(\.typeName) == ["CallReceived", "TicketOpened", "TicketRouted"])
        let ticket = try #require(try TicketRules.replay(events))
        #expect(ticket.status == .routed)
        #expect(ticket.department == Fixtures.cleaning)
        #expect(ticket.dueAt == Fixtures.hours(24))
        #expect(ticket.catalogVersion == 1)
        #expect(ticket.version == 3)
    }

    @Test("an unsure router sends the ticket to triage, without a deadline")
    func unsureRoutingGoesToTriage() throws {
        let intake = Fixtures.intake(routing: Fixtures.decision(confidence: 0.3))
        let ticket = try #require(
            try TicketRules.replay(try TicketRules.decide(Fixtures.ticket, nil, .receiveCall(intake), catalog: Fixtures.catalog)))
        #expect(ticket.status == .triage)
        #expect(ticket.department == .triage)
        #expect(ticket.dueAt == nil)
    }

    @Test("the operator's category wins over the router")
    func operatorCategoryWins() throws {
        let intake = Fixtures.intake(category: CategoryID(unchecked: "fen-isleri.kaldirim"))
        let ticket = try #require(
            try TicketRules.replay(try TicketRules.decide(Fixtures.ticket, nil, .receiveCall(intake), catalog: Fixtures.catalog)))
        #expect(ticket.department == Fixtures.roads)
        #expect(ticket.category == CategoryID(unchecked: "fen-isleri.kaldirim"))
        #expect(ticket.dueAt == Fixtures.hours(120))
    }

    @Test("a call that only needed information is closed at first contact and opens no ticket")
    func informationOnly() throws {
        let events = try TicketRules.decide(
            Fixtures.ticket, nil, .receiveCall(Fixtures.intake(routing: nil, information: "vergi-odeme")), catalog: Fixtures.catalog)
        #expect(events.map(\.typeName) == ["CallReceived", "InformationProvided"])
        #expect(try TicketRules.replay(events)?.status == .closedAtFirstContact)
    }

    @Test("a call from outside the city's districts is refused, naming the districts")
    func unknownDistrict() {
        #expect {
            try TicketRules.decide(Fixtures.ticket, nil, .receiveCall(Fixtures.intake(district: "Kadıköy")), catalog: Fixtures.catalog)
        } throws: { error in
            guard case .invalid(let input)? = error as? TicketError else { return false }
            return input.field == "location.district" && input.reason.contains("Onikişubat")
        }
    }

    @Test("a second intake for the same ticket is refused")
    func duplicateIntake() throws {
        let ticket = try Fixtures.routedTicket()
        #expect(throws: TicketError.alreadyExists(Fixtures.ticket)) {
            try TicketRules.decide(Fixtures.ticket, ticket, .receiveCall(Fixtures.intake()), catalog: Fixtures.catalog)
        }
    }
}

@Suite struct LifecycleTests {
    let by = ActorID(unchecked: "temizlik-ekip-3")

    @Test("acknowledge, start, resolve, close, feedback: the whole happy path")
    func happyPath() throws {
        let ticket = try #require(
            try Fixtures.apply(
                [
                    .acknowledge(actingDepartment: Fixtures.cleaning, by: by, at: Fixtures.hours(1)),
                    .assign(assignee: "ekip-3", actingDepartment: Fixtures.cleaning, by: by, at: Fixtures.hours(1.5)),
                    .startWork(actingDepartment: Fixtures.cleaning, by: by, at: Fixtures.hours(2)),
                    .resolve(
                        code: "collected", note: "Konteyner boşaltıldı.", actingDepartment: Fixtures.cleaning, by: by, at: Fixtures.hours(5)
                    ),
                    .close(reason: "confirmed", by: Fixtures.operatorID, at: Fixtures.hours(6)),
                    .recordFeedback(satisfaction: 5, at: Fixtures.hours(7)),
                ], to: try Fixtures.routedTicket()))
        #expect(ticket.status == .closed)
        #expect(ticket.assignee == "ekip-3")
        #expect(ticket.acknowledgedAt == Fixtures.hours(1))
        #expect(ticket.resolvedAt == Fixtures.hours(5))
        #expect(ticket.satisfaction == 5)
        #expect(ticket.version == 9)
    }

    @Test("resolving an unacknowledged ticket is refused, saying what is allowed")
    func resolveBeforeAcknowledge() throws {
        let ticket = try Fixtures.routedTicket()
        #expect {
            try TicketRules.decide(
                Fixtures.ticket, ticket, .resolve(code: "done", note: "", actingDepartment: nil, by: by, at: Fixtures.hours(1)),
                catalog: Fixtures.catalog)
        } throws: { error in
            let text = (error as? TicketError)?.description ?? ""
            return text
                == "ticket 2025-000123 is routed, so it cannot resolve; allowed now: override routing, refer, assign, acknowledge, merge as duplicate, cancel, notify the citizen, add a note"
        }
    }

    @Test("another department cannot act on the ticket")
    func wrongDepartment() throws {
        #expect(throws: TicketError.wrongDepartment(Fixtures.ticket, owner: Fixtures.cleaning, acting: Fixtures.roads)) {
            try TicketRules.decide(
                Fixtures.ticket, try Fixtures.routedTicket(), .acknowledge(actingDepartment: Fixtures.roads, by: by, at: Fixtures.hours(1)),
                catalog: Fixtures.catalog)
        }
    }

    @Test("a referral moves the ticket, counts, and restarts acknowledgement and the deadline")
    func referral() throws {
        let ticket = try #require(
            try Fixtures.apply(
                [
                    .acknowledge(actingDepartment: Fixtures.cleaning, by: by, at: Fixtures.hours(1)),
                    .refer(
                        to: Fixtures.roads, category: nil, reason: "Yol çökmesi, bizim işimiz değil", actingDepartment: Fixtures.cleaning,
                        by: by, at: Fixtures.hours(2)),
                ], to: try Fixtures.routedTicket()))
        #expect(ticket.status == .routed)
        #expect(ticket.department == Fixtures.roads)
        #expect(ticket.category == CategoryID(unchecked: "fen-isleri.asfalt"))
        #expect(ticket.acknowledgedAt == nil)
        #expect(ticket.referralCount == 1)
        #expect(ticket.dueAt == Fixtures.hours(2 + 72))
    }

    @Test("referring to an unknown department lists the known ones; to the same one is refused")
    func badReferrals() throws {
        let ticket = try Fixtures.routedTicket()
        #expect(throws: TicketError.unknownDepartment(DepartmentID(unchecked: "uzay"), known: [Fixtures.cleaning, Fixtures.roads])) {
            try TicketRules.decide(
                Fixtures.ticket, ticket,
                .refer(
                    to: DepartmentID(unchecked: "uzay"), category: nil, reason: "x", actingDepartment: nil, by: by, at: Fixtures.hours(1)),
                catalog: Fixtures.catalog)
        }
        #expect(throws: TicketError.sameDepartment(Fixtures.ticket, Fixtures.cleaning)) {
            try TicketRules.decide(
                Fixtures.ticket, ticket,
                .refer(to: Fixtures.cleaning, category: nil, reason: "x", actingDepartment: nil, by: by, at: Fixtures.hours(1)),
                catalog: Fixtures.catalog)
        }
    }

    @Test("a closed ticket can be reopened, with a new deadline; a routed one cannot")
    func reopen() throws {
        let routed = try Fixtures.routedTicket()
        #expect(throws: TicketError.self) {
            try TicketRules.decide(
                Fixtures.ticket, routed, .reopen(reason: "Hâlâ duruyor", by: Fixtures.operatorID, at: Fixtures.hours(1)),
                catalog: Fixtures.catalog)
        }
        let reopened = try #require(
            try Fixtures.apply(
                [
                    .acknowledge(actingDepartment: nil, by: by, at: Fixtures.hours(1)),
                    .resolve(code: "collected", note: "", actingDepartment: nil, by: by, at: Fixtures.hours(3)),
                    .close(reason: "confirmed", by: Fixtures.operatorID, at: Fixtures.hours(4)),
                    .reopen(reason: "Çöp yine toplanmadı", by: Fixtures.operatorID, at: Fixtures.hours(30)),
                ], to: routed))
        #expect(reopened.status == .routed)
        #expect(reopened.reopenCount == 1)
        #expect(reopened.resolvedAt == nil)
        #expect(reopened.dueAt == Fixtures.hours(30 + 24))
    }

    @Test("merged and cancelled tickets accept nothing but notifications")
    func terminalStates() throws {
        let merged = try #require(
            try Fixtures.apply(
                [.mergeAsDuplicate(of: TicketID(year: 2025, sequence: 7), by: by, at: Fixtures.hours(1))], to: try Fixtures.routedTicket()))
        #expect(merged.status == .merged)
        #expect(merged.duplicateOf == TicketID(year: 2025, sequence: 7))
        #expect(throws: TicketError.self) {
            try TicketRules.decide(
                Fixtures.ticket, merged, .cancel(reason: .invalid, note: "", by: by, at: Fixtures.hours(2)), catalog: Fixtures.catalog)
        }
        #expect(throws: Never.self) {
            try TicketRules.decide(
                Fixtures.ticket, merged, .notifyCitizen(channel: "sms", template: "merged", by: by, at: Fixtures.hours(2)),
                catalog: Fixtures.catalog)
        }
        #expect(throws: TicketError.mergeIntoItself(Fixtures.ticket)) {
            try TicketRules.decide(
                Fixtures.ticket, try Fixtures.routedTicket(), .mergeAsDuplicate(of: Fixtures.ticket, by: by, at: Fixtures.hours(1)),
                catalog: Fixtures.catalog)
        }
    }

    @Test("escalation happens once per deadline, and only after it passed")
    func escalation() throws {
        let ticket = try Fixtures.routedTicket()
        #expect(throws: TicketError.notYetDue(Fixtures.ticket, dueAt: Fixtures.hours(24))) {
            try TicketRules.decide(Fixtures.ticket, ticket, .escalate(at: Fixtures.hours(23)), catalog: Fixtures.catalog)
        }
        let escalated = try #require(try Fixtures.apply([.escalate(at: Fixtures.hours(25))], to: ticket))
        #expect(escalated.escalatedDeadlines == [Fixtures.hours(24)])
        #expect(throws: TicketError.alreadyEscalated(Fixtures.ticket, dueAt: Fixtures.hours(24))) {
            try TicketRules.decide(Fixtures.ticket, escalated, .escalate(at: Fixtures.hours(26)), catalog: Fixtures.catalog)
        }
    }

    @Test("feedback is 1 to 5, once per resolution")
    func feedback() throws {
        let resolved = try #require(
            try Fixtures.apply(
                [
                    .acknowledge(actingDepartment: nil, by: by, at: Fixtures.hours(1)),
                    .resolve(code: "done", note: "", actingDepartment: nil, by: by, at: Fixtures.hours(2)),
                ],
                to: try Fixtures.routedTicket()))
        #expect(throws: TicketError.self) {
            try TicketRules.decide(
                Fixtures.ticket, resolved, .recordFeedback(satisfaction: 6, at: Fixtures.hours(3)), catalog: Fixtures.catalog)
        }
        let rated = try #require(try Fixtures.apply([.recordFeedback(satisfaction: 4, at: Fixtures.hours(3))], to: resolved))
        #expect(throws: TicketError.self) {
            try TicketRules.decide(
                Fixtures.ticket, rated, .recordFeedback(satisfaction: 4, at: Fixtures.hours(4)), catalog: Fixtures.catalog)
        }
    }

    @Test("evolve refuses histories the rules could not have produced")
    func inconsistentHistory() throws {
        let routed = try Fixtures.routedTicket()
        let resolved = TicketEvent.ticketResolved(
            TicketResolved(ticket: Fixtures.ticket, at: Fixtures.hours(1), by: by, resolutionCode: "x", note: ""))
        #expect(throws: TicketError.inconsistentHistory(Fixtures.ticket, "TicketResolved while routed")) {
            try TicketRules.evolve(routed, resolved)
        }
        #expect(throws: TicketError.inconsistentHistory(Fixtures.ticket, "TicketResolved before CallReceived")) {
            try TicketRules.evolve(nil, resolved)
        }
    }

    @Test("applying an event in place gives what evolve gives, and a refused event leaves the ticket as it was")
    func applyInPlace() throws {
        let routed = try Fixtures.routedTicket()
        let acknowledged = TicketEvent.ticketAcknowledged(TicketAcknowledged(ticket: Fixtures.ticket, at: Fixtures.hours(1), by: by))
        var ticket = routed
        try TicketRules.apply(acknowledged, to: &ticket)
        #expect(ticket == (try TicketRules.evolve(routed, acknowledged)))
        #expect(ticket.status == .acknowledged && ticket.version == routed.version + 1)

        let refused = ticket
        let closed = TicketEvent.ticketClosed(TicketClosed(ticket: Fixtures.ticket, at: Fixtures.hours(2), by: by, reason: "x"))
        #expect(throws: TicketError.inconsistentHistory(Fixtures.ticket, "TicketClosed while acknowledged")) {
            try TicketRules.apply(closed, to: &ticket)
        }
        #expect(ticket == refused)
        let received = try #require(
            try TicketRules.decide(Fixtures.ticket, nil, .receiveCall(Fixtures.intake()), catalog: Fixtures.catalog).first)
        #expect(throws: TicketError.inconsistentHistory(Fixtures.ticket, "a second CallReceived")) {
            try TicketRules.apply(received, to: &ticket)
        }
        #expect(ticket == refused)
    }
}

@Suite struct EventCodecTests {
    @Test("every event of a full history encodes and decodes to itself")
    func roundTrip() throws {
        var events = try TicketRules.decide(Fixtures.ticket, nil, .receiveCall(Fixtures.intake()), catalog: Fixtures.catalog)
        var state = try TicketRules.replay(events)
        let by = ActorID(unchecked: "ekip")
        for command in [
            TicketCommand.acknowledge(actingDepartment: nil, by: by, at: Fixtures.hours(1)),
            .resolve(code: "done", note: "tamam", actingDepartment: nil, by: by, at: Fixtures.hours(2)),
            .recordFeedback(satisfaction: 3, at: Fixtures.hours(3)),
        ] {
            let new = try TicketRules.decide(Fixtures.ticket, state, command, catalog: Fixtures.catalog)
            for event in new { state = try TicketRules.evolve(state, event) }
            events += new
        }
        for event in events {
            let data = try TicketEventCodec.encode(event)
            #expect(try TicketEventCodec.decode(type: event.typeName, data: data) == event)
        }
        #expect(try TicketEventCodec.decode(type: "SomethingElse", data: Data("{}".utf8)) == nil)
    }

    @Test("times are stored as RFC 3339 UTC with milliseconds")
    func timeFormat() {
        #expect(TicketEventCodec.format(Fixtures.t0) == "2025-03-01T08:15:00.000Z")
        #expect(TicketEventCodec.parseTime("2025-03-01T08:15:00.000Z") == Fixtures.t0)
    }
}

@Suite struct TimeFormatTests {
    @Test(
        "times survive a round trip to the millisecond, whatever their sub-millisecond part",
        arguments: [0.001, 0.0015, 0.999, 0.9996, 0.5004])
    func roundTrip(fraction: Double) throws {
        let date = Date(timeIntervalSince1970: 1_756_606_275 + fraction)
        let text = TicketEventCodec.format(date)
        let parsed = try #require(TicketEventCodec.parseTime(text))
        #expect(TicketEventCodec.format(parsed) == text)
        #expect(abs(parsed.timeIntervalSince(date)) <= 0.0006)
    }

    @Test("a millisecond value formats as itself")
    func exactMilliseconds() {
        #expect(TicketEventCodec.format(Date(timeIntervalSince1970: 1_756_606_275.001)) == "2025-08-31T02:11:15.001Z")
        #expect(TicketEventCodec.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
    }

    @Test("times are read and written without a formatter, agreeing with Foundation's ISO 8601 formatter from 1900 to 2200")
    func agreesWithFoundation() throws {
        var generator = SystemRandomNumberGenerator()
        let style = Date.ISO8601FormatStyle(timeZone: .gmt)
        // Leap days, the turn of 2000, the epoch and its last millisecond before, the range's ends.
        var samples: [Int64] = [0, -1, 951_782_400_000, 951_868_799_999, 946_684_799_999, -2_208_988_800_000, 7_258_118_399_999]
        for _ in 0..<2000 { samples.append(Int64.random(in: -2_208_988_800_000...7_258_118_399_999, using: &generator)) }
        for milliseconds in samples {
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let text = TicketEventCodec.format(date)
            // Foundation truncates fractions, so compare the whole second and the milliseconds apart.
            let second = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
            let fraction = milliseconds - second * 1000
            #expect(text.prefix(19) == style.format(Date(timeIntervalSince1970: Double(second))).prefix(19), "\(milliseconds)")
            #expect(text.suffix(5) == "." + String(format: "%03d", fraction) + "Z", "\(milliseconds)")
            #expect(TicketEventCodec.storedMilliseconds(text) == milliseconds, "\(text)")
            #expect(TicketEventCodec.parseTime(text) == date, "\(text)")
        }
        for malformed in [
            "2025-02-29T00:00:00.000Z", "2025-13-01T00:00:00.000Z", "2025-01-01T24:00:00.000Z", "2025-01-01 00:00:00.000Z",
            "2025-01-01T00:00:00.0000",
        ] {
            #expect(TicketEventCodec.storedMilliseconds(malformed) == nil, "\(malformed)")
        }
    }
}
