import DefterDomain
import DefterLog
import Foundation
import Testing

@testable import DefterTickets

/// Intake builds some event data objects by hand, for speed; these say that what it builds is
/// exactly what the types' `Encodable` conformance, through `JSONEncoder`, writes.
@Suite struct DirectEncodingTests {
    @Test(arguments: [
        Date(timeIntervalSince1970: 1_735_689_600), Date(timeIntervalSince1970: 1_735_689_600.123),
        Date(timeIntervalSince1970: 1_767_225_599.999),
    ])
    func aNumberAssignmentIsWhatJSONEncoderWrites(at date: Date) throws {
        let event = TicketNumberAssigned(
            ticket: TicketID(year: 2025, sequence: 42), callId: "çağrı-\"1\"/\\ 🚧", at: date)
        #expect(event.data == (try TicketService.json(event)))
        #expect(event.data.canonicalBytes == (try TicketService.json(event)).canonicalBytes)
    }

    static let intakeEvents: [(type: String, data: String)] = [
        (
            "CallReceived",
            #"{"ticket":"2025-000007","callId":"c-7","channel":"walk-in","operatorId":"op-1","at":"2025-03-01T08:15:00.123Z","#
                + #""location":{"district":"Elbistan","neighbourhood":"Güneşli"},"personalData":{"citizen":"c-0123456789abcdef0123","#
                + #""algorithm":"AES-256-GCM","sealed":"AAEC","fields":["phone","text"]},"textLength":42,"#
                + #""operatorCategory":"fen-isleri.yol","informationOnly":false,"notificationsOptOut":true}"#
        ),
        (
            "CallReceived",
            #"{"ticket":"2025-000008","callId":"c-8","channel":"phone","operatorId":"op-1","at":"2025-12-31T23:59:59.999Z","#
                + #""location":{"district":"Elbistan"},"personalData":{"citizen":"c-1","algorithm":"AES-256-GCM","sealed":"","fields":[]},"#
                + #""textLength":0,"informationOnly":true}"#
        ),
        ("TicketOpened", #"{"ticket":"2025-000007","at":"2025-03-01T08:15:00.000Z","catalogVersion":2}"#),
        (
            "TicketRouted",
            #"{"ticket":"2025-000042","at":"2025-03-01T08:15:00.000Z","destination":"temizlik","category":"temizlik.cop-toplama","#
                + #""standardHours":24,"priority":2,"dueAt":"2025-03-02T08:15:00.000Z","decision":{"department":"temizlik","#
                + #""category":"temizlik.cop-toplama","confidence":0.91,"auto":true,"routerVersion":"r1","threshold":0.6,"#
                + #""alternatives":[{"department":"zabita","category":"zabita.isgal","confidence":0.05},"#
                + #"{"department":"fen-isleri","category":"fen-isleri.yol","confidence":0}],"terms":["çöp","konteyner*"]}}"#
        ),
        (
            "TicketRouted",
            #"{"ticket":"2025-000043","at":"2025-03-01T08:15:00.000Z","destination":"temizlik","category":"temizlik.cop-toplama","#
                + #""standardHours":0,"priority":1,"decision":{"department":"temizlik","category":"temizlik.cop-toplama","#
                + #""confidence":1,"auto":false,"routerVersion":"r1","threshold":1,"alternatives":[],"terms":[]}}"#
        ),
    ]

    @Test(arguments: intakeEvents.indices)
    func intakesEventsAreWhatTheEncoderMakes(index: Int) throws {
        let (type, data) = Self.intakeEvents[index]
        let event = try #require(try TicketEventCodec.decode(type: type, data: Data(data.utf8)))
        let direct = try TicketService.data(of: event)
        #expect(direct == (try TicketService.eventEncoder.encode(event.payload)))
        #expect(direct == (try JSONValue(parsing: Array(data.utf8))), "the fixture is written as the log stores it")
    }
}
