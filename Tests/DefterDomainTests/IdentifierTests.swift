import DefterDomain
import Testing

@Suite struct IdentifierTests {
    @Test("ticket numbers are a four-digit year, a dash and six to nine digits")
    func ticketNumbers() throws {
        for valid in ["2025-000123", "2025-123456789"] { #expect(try TicketID(valid).rawValue == valid) }
        for invalid in ["", "2025000123", "25-000123", "2025-00012a", "2025-12345", "2025-1234567890", "2025_000123", "٢٠٢٥-000123"] {
            #expect(throws: DomainInputError(field: "ticket", reason: "'\(invalid)' is not a ticket number like 2025-000123")) {
                try TicketID(invalid)
            }
        }
        #expect(TicketID(streamName: "ticket-2025-000123") == (try TicketID("2025-000123")))
        #expect(TicketID(streamName: "catalog") == nil)
        #expect(TicketID(streamName: "ticket-2025") == nil)
    }

    @Test("department, category and actor ids are 1 to 100 lowercase ASCII letters, digits, '.', '-' or '_'")
    func stringIdentifiers() throws {
        #expect(try DepartmentID("fen-isleri").rawValue == "fen-isleri")
        #expect(try CategoryID("fen-isleri.yol_cukuru-2").rawValue == "fen-isleri.yol_cukuru-2")
        #expect(try ActorID(String(repeating: "a", count: 100)).rawValue.count == 100)
        for invalid in ["", "Fen", "fen isleri", "çevre", "a/b", String(repeating: "a", count: 101)] {
            #expect(throws: DomainInputError.self) { try DepartmentID(invalid) }
        }
        #expect(
            throws: DomainInputError(
                field: "category", reason: "'Yol' is not a valid category id (lowercase letters, digits, '.', '-', '_')")
        ) {
            try CategoryID("Yol")
        }
    }
}
