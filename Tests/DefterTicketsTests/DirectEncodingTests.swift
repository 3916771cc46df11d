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
}
