import Testing

@testable import DefterLog

@Suite struct IdentifierTests {
    @Test("stream names and event ids are 1 to 200 (128) bytes of UTF-8 without control characters")
    func streamAndEventIDs() throws {
        #expect(try StreamID("ticket-2025-000123").rawValue == "ticket-2025-000123")
        #expect(try StreamID("çağrı:Onikişubat").rawValue == "çağrı:Onikişubat")
        #expect(try EventID(String(repeating: "ş", count: 64)).rawValue.utf8.count == 128)
        #expect(throws: InvalidIdentifier(reason: "stream is empty")) { try StreamID("") }
        #expect(throws: InvalidIdentifier(reason: "event id is 129 bytes long; the limit is 128")) {
            try EventID(String(repeating: "a", count: 129))
        }
        for control in ["\u{0}", "a\u{1}", "tab\there", "line\n", "unit\u{1f}", "del\u{7f}"] {
            #expect(throws: InvalidIdentifier(reason: "stream contains a control character")) { try StreamID(control) }
            #expect(throws: InvalidIdentifier(reason: "event id contains a control character")) { try EventID(control) }
        }
    }
}
