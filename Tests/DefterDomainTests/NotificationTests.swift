import Foundation
import Testing

@testable import DefterDomain

@Suite struct NotificationPolicyTests {
    @Test("the steps a citizen is told about, and only those")
    func triggers() throws {
        let routed = try Fixtures.routedTicket()
        let events = try TicketRules.decide(Fixtures.ticket, nil, .receiveCall(Fixtures.intake()), catalog: Fixtures.catalog)
        #expect(events.map(NotificationTemplate.triggered(by:)) == [nil, .opened, nil])
        let by = ActorID(unchecked: "ekip")
        let acknowledged = try #require(
            try Fixtures.apply([.acknowledge(actingDepartment: nil, by: by, at: Fixtures.hours(0.5))], to: routed))
        let resolved = try TicketRules.decide(
            Fixtures.ticket, acknowledged, .resolve(code: "done", note: "", actingDepartment: nil, by: by, at: Fixtures.hours(1)),
            catalog: Fixtures.catalog)
        #expect(resolved.map(NotificationTemplate.triggered(by:)) == [.resolved])
        let referred = try TicketRules.decide(
            Fixtures.ticket, routed,
            .refer(to: Fixtures.roads, category: nil, reason: "yol", actingDepartment: nil, by: by, at: Fixtures.hours(1)),
            catalog: Fixtures.catalog)
        #expect(referred.map(NotificationTemplate.triggered(by:)) == [.referred])
        let overdue = try TicketRules.decide(Fixtures.ticket, routed, .escalate(at: Fixtures.hours(25)), catalog: Fixtures.catalog)
        #expect(overdue.map(NotificationTemplate.triggered(by:)) == [.overdue])
        let noted = try TicketRules.decide(
            Fixtures.ticket, routed, .addNote(text: "not", visibility: .public, by: by, at: Fixtures.hours(1)), catalog: Fixtures.catalog)
        #expect(noted.map(NotificationTemplate.triggered(by:)) == [nil])
    }

    @Test("an erased citizen is never contacted, even one who left a phone and did not opt out")
    func erasedNever() {
        #expect(
            NotificationPolicy.decide(optedOut: false, erased: true, hasPhone: true, hasEmail: true, preference: [.sms, .email])
                == .skip(.erased))
    }

    @Test("an opt-out at intake wins over every contact")
    func optOut() {
        #expect(
            NotificationPolicy.decide(optedOut: true, erased: false, hasPhone: true, hasEmail: true, preference: [.sms, .email])
                == .skip(.optedOut))
    }

    @Test(
        "the first configured channel the citizen can be reached by wins",
        arguments: [
            (true, true, [NotificationChannel.sms, .email], NotificationDecision.send(.sms)),
            (true, true, [.email, .sms], .send(.email)),
            (false, true, [.sms, .email], .send(.email)),
            (true, false, [.email], .skip(.noChannel)),
            (false, false, [.sms, .email], .skip(.noContact)),
        ])
    func preference(hasPhone: Bool, hasEmail: Bool, preference: [NotificationChannel], expected: NotificationDecision) {
        #expect(
            NotificationPolicy.decide(optedOut: false, erased: false, hasPhone: hasPhone, hasEmail: hasEmail, preference: preference)
                == expected)
    }

    @Test("every template names the ticket and links its tracking page, in Turkish", arguments: NotificationTemplate.allCases)
    func templates(template: NotificationTemplate) {
        let message = NotificationMessage.render(
            template, ticket: Fixtures.ticket, trackingLink: "https://alo153.example/takip?no=2025-000123",
            feedbackLink: "https://alo153.example/geri-bildirim/2025-000123?t=abc")
        #expect(message.subject.contains("2025-000123"))
        #expect(message.text.contains("2025-000123"))
        #expect(message.text.contains("https://alo153.example/takip?no=2025-000123"))
        #expect(message.text.hasPrefix("ALO 153: "))
        #expect(message.text.contains("başvuru") || message.text.contains("Başvuru"))
        #expect(message.text.contains("geri-bildirim") == (template == .resolved))
    }

    @Test("the resolution's message asks the satisfaction question with its link")
    func resolvedAsks() {
        let message = NotificationMessage.render(
            .resolved, ticket: Fixtures.ticket, trackingLink: "https://x/takip?no=2025-000123",
            feedbackLink: "https://x/geri-bildirim/2025-000123?t=T")
        #expect(message.text.contains("1-5"))
        #expect(message.text.contains("gerçekten çözülüp çözülmediğini"))
        #expect(message.text.contains("https://x/geri-bildirim/2025-000123?t=T"))
    }
}

@Suite struct FeedbackRuleTests {
    let by = ActorID(unchecked: "ekip")

    func resolved(at hours: Double = 2) throws -> Ticket {
        try #require(
            try Fixtures.apply(
                [
                    .acknowledge(actingDepartment: nil, by: by, at: Fixtures.hours(0.5)),
                    .resolve(code: "done", note: "", actingDepartment: nil, by: by, at: Fixtures.hours(hours)),
                ], to: try Fixtures.routedTicket()))
    }

    @Test("'not fixed' within the window records the feedback and reopens the ticket in one decision")
    func notFixedReopens() throws {
        let ticket = try resolved()
        let events = try TicketRules.decide(
            Fixtures.ticket, ticket, .recordFeedback(satisfaction: 1, at: Fixtures.hours(26), fixed: false), catalog: Fixtures.catalog)
        #expect(events.count == 2)
        guard case .feedbackReceived(let feedback) = events[0], case .ticketReopened(let reopened) = events[1] else {
            Issue.record("expected FeedbackReceived then TicketReopened, got \(events.map(\.typeName))")
            return
        }
        #expect(feedback.fixed == false && feedback.satisfaction == 1)
        #expect(reopened.by == .citizen)
        let after = try #require(try Fixtures.apply([.recordFeedback(satisfaction: 1, at: Fixtures.hours(26), fixed: false)], to: ticket))
        #expect(after.status == .routed && after.reopenCount == 1)
    }

    @Test("'not fixed' after the 30-day window is recorded but does not reopen")
    func lateNotFixed() throws {
        let ticket = try resolved()
        let late = Fixtures.hours(2).addingTimeInterval(TicketRules.feedbackReopeningWindow + 60)
        let events = try TicketRules.decide(
            Fixtures.ticket, ticket, .recordFeedback(satisfaction: 2, at: late, fixed: false), catalog: Fixtures.catalog)
        #expect(events.map(\.typeName) == ["FeedbackReceived"])
    }

    @Test("'fixed' and unanswered do not reopen; a second answer to the same resolution is refused")
    func fixedStays() throws {
        let ticket = try resolved()
        for fixed in [true, nil] as [Bool?] {
            let events = try TicketRules.decide(
                Fixtures.ticket, ticket, .recordFeedback(satisfaction: 5, at: Fixtures.hours(3), fixed: fixed), catalog: Fixtures.catalog)
            #expect(events.map(\.typeName) == ["FeedbackReceived"])
        }
        let rated = try #require(try Fixtures.apply([.recordFeedback(satisfaction: 5, at: Fixtures.hours(3), fixed: true)], to: ticket))
        #expect(throws: TicketError.self) {
            try TicketRules.decide(
                Fixtures.ticket, rated, .recordFeedback(satisfaction: 1, at: Fixtures.hours(4), fixed: false), catalog: Fixtures.catalog)
        }
    }

    @Test("a notifier's record carries its outcome; an unknown outcome is refused")
    func notificationOutcome() throws {
        let ticket = try Fixtures.routedTicket()
        let delivery = NotificationDelivery(
            outcome: "failed", attempts: 3, triggerSequence: 4, triggerType: "TicketOpened", failure: "smtp 550")
        let events = try TicketRules.decide(
            Fixtures.ticket, ticket,
            .notifyCitizen(channel: "email", template: "opened", by: .notifier, at: Fixtures.hours(1), delivery: delivery),
            catalog: Fixtures.catalog)
        guard case .citizenNotified(let notified) = events.first else {
            Issue.record("expected CitizenNotified")
            return
        }
        #expect(notified.outcome == "failed" && notified.attempts == 3 && notified.triggerSequence == 4 && !notified.delivered)
        let odd = NotificationDelivery(outcome: "maybe", attempts: 1, triggerSequence: 4, triggerType: "TicketOpened")
        #expect(throws: TicketError.self) {
            try TicketRules.decide(
                Fixtures.ticket, ticket,
                .notifyCitizen(channel: "email", template: "opened", by: .notifier, at: Fixtures.hours(1), delivery: odd),
                catalog: Fixtures.catalog)
        }
    }

    @Test("events written before these fields decode, with the new fields absent")
    func oldEventsDecode() throws {
        let old = #"{"at":"2025-03-01T09:15:00.000Z","by":"op-7","channel":"sms","template":"resolved","ticket":"2025-000123"}"#
        guard case .citizenNotified(let notified)? = try TicketEventCodec.decode(type: "CitizenNotified", data: Data(old.utf8)) else {
            Issue.record("did not decode")
            return
        }
        #expect(notified.outcome == nil && notified.delivered)
        let feedback = #"{"at":"2025-03-01T09:15:00.000Z","satisfaction":4,"ticket":"2025-000123"}"#
        guard case .feedbackReceived(let received)? = try TicketEventCodec.decode(type: "FeedbackReceived", data: Data(feedback.utf8))
        else {
            Issue.record("did not decode")
            return
        }
        #expect(received.fixed == nil)
    }
}
