import DefterDomain
import DefterLog
import DefterLogTestSupport
import DefterTickets
import Foundation
import Testing

@Suite struct FeedbackTests {
    let crew = ActorID(unchecked: "ekip-1")

    /// A ticket resolved three hours after its call; returns it and its resolution's sequence.
    func resolvedTicket(_ service: TicketService, _ n: Int = 1) async throws -> (TicketID, UInt64) {
        let ticket = try await service.receiveCall(SampleCalls.garbage(n, caller: SampleCalls.personal)).ticket
        try await service.handle(
            .acknowledge(actingDepartment: nil, by: crew, at: SampleCalls.t0.addingTimeInterval(3600)), on: ticket, actor: crew)
        try await service.handle(
            .resolve(code: "collected", note: "", actingDepartment: nil, by: crew, at: SampleCalls.t0.addingTimeInterval(3 * 3600)),
            on: ticket, actor: crew)
        return (ticket, try #require(try await service.latestResolution(of: ticket)))
    }

    @Test("a token is valid for its ticket and resolution only, and is not the same under another vault's key")
    func tokens() async throws {
        let (one, other): (String, String) = try await withServiceAndVault { service, _, vault, _ in
            let tokens = FeedbackTokens(vault: vault)
            let ticket = TicketID(year: 2025, sequence: 7)
            let token = try tokens.token(ticket: ticket, resolution: 42)
            #expect(token.count == 22)
            #expect(try tokens.check(token, ticket: ticket, resolution: 42))
            #expect(try !tokens.check(token, ticket: ticket, resolution: 43))
            #expect(try !tokens.check(token, ticket: TicketID(year: 2025, sequence: 8), resolution: 42))
            #expect(try !tokens.check(String(token.dropLast()) + "A", ticket: ticket, resolution: 42) || token.hasSuffix("A"))
            #expect(try !tokens.check("", ticket: ticket, resolution: 42))
            // The service's tokens are the vault's.
            #expect(try service.feedbackTokens.token(ticket: ticket, resolution: 42) == token)
            return (token, try tokens.token(ticket: ticket, resolution: 42))
        }
        let elsewhere: String = try await withServiceAndVault { _, _, vault, _ in
            try FeedbackTokens(vault: vault).token(ticket: TicketID(year: 2025, sequence: 7), resolution: 42)
        }
        #expect(one == other)
        #expect(elsewhere != one)
    }

    @Test("'not fixed' through the link records the feedback and reopens the ticket; the link works once")
    func notFixedReopens() async throws {
        let nextDay: @Sendable () -> Date = { SampleCalls.t0.addingTimeInterval(26 * 3600) }
        try await withService(clock: nextDay) { service, log, _ in
            let (ticket, resolution) = try await resolvedTicket(service)
            let token = try service.feedbackTokens.token(ticket: ticket, resolution: resolution)
            let result = try await service.recordFeedback(ticket, token: token, satisfaction: 2, fixed: false)
            #expect(result.reopened)
            let state = try #require(try await service.ticket(ticket))
            #expect(state.status == .routed && state.reopenCount == 1 && state.satisfaction == 2)
            let types = try log.entries(inStream: StreamID(ticket.streamName)).map(\.type)
            #expect(types.suffix(2) == ["FeedbackReceived", "TicketReopened"])
            // The old resolution's link no longer fits the ticket's state.
            await #expect(throws: FeedbackError.notResolved(ticket, .routed)) {
                try await service.recordFeedback(ticket, token: token, satisfaction: 5, fixed: true)
            }
        }
    }

    @Test("'fixed' is recorded without reopening; answering twice is refused")
    func fixedOnce() async throws {
        try await withService { service, _, _ in
            let (ticket, resolution) = try await resolvedTicket(service, 2)
            let token = try service.feedbackTokens.token(ticket: ticket, resolution: resolution)
            #expect(try await !service.recordFeedback(ticket, token: token, satisfaction: 5, fixed: true).reopened)
            #expect(try await service.ticket(ticket)?.status == .resolved)
            await #expect(throws: FeedbackError.alreadyAnswered(ticket)) {
                try await service.recordFeedback(ticket, token: token, satisfaction: 1, fixed: false)
            }
        }
    }

    @Test("a wrong token records nothing")
    func wrongToken() async throws {
        try await withService { service, log, _ in
            let (ticket, resolution) = try await resolvedTicket(service, 3)
            let before = try log.size()
            await #expect(throws: FeedbackError.badToken(ticket)) {
                try await service.recordFeedback(
                    ticket, token: try service.feedbackTokens.token(ticket: ticket, resolution: resolution + 1), satisfaction: 5,
                    fixed: true)
            }
            #expect(try log.size() == before)
        }
    }

    @Test("an opt-out at intake is recorded on the call; without it the field is absent")
    func optOutRecorded() async throws {
        try await withService { service, _, _ in
            var call = SampleCalls.garbage(4, caller: SampleCalls.personal)
            call.notify = false
            let quiet = try await service.receiveCall(call).ticket
            let loud = try await service.receiveCall(SampleCalls.garbage(5, caller: SampleCalls.personal)).ticket
            guard case .callReceived(let first)? = try await service.events(of: quiet).first,
                case .callReceived(let second)? = try await service.events(of: loud).first
            else {
                Issue.record("no CallReceived")
                return
            }
            #expect(first.notificationsOptOut == true)
            #expect(second.notificationsOptOut == nil)
        }
    }
}
