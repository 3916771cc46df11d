import DefterDomain
import DefterLog
import DefterTickets
import Foundation
import Testing

/// Replay decodes ticket events member by member (`EventFields`); these say it refuses exactly
/// what the events' `Decodable` conformance refuses, and names the member at fault.
@Suite struct EventDecodingTests {
    /// A routed ticket's data, with a nested decision and an array of alternatives.
    let routed: [String: JSONValue] = [
        "ticket": "2025-000042", "at": "2025-03-01T08:15:00.000Z", "destination": "temizlik", "category": "temizlik.cop-toplama",
        "standardHours": 24, "priority": 2, "dueAt": "2025-03-02T08:15:00.000Z",
        "decision": [
            "department": "temizlik", "category": "temizlik.cop-toplama", "confidence": 0.91, "auto": true, "routerVersion": "r1",
            "threshold": 0.6, "alternatives": [["department": "zabita", "category": "zabita.isgal", "confidence": 0.05]],
            "terms": ["çöp", "konteyner"],
        ],
    ]

    func decodeBoth(_ data: [String: JSONValue]) -> (fields: Result<TicketEvent?, any Error>, foundation: Result<TicketEvent?, any Error>) {
        let bytes = JSONValue.object(data).canonicalBytes
        return (
            Result { try TicketEventCodec.decode(type: "TicketRouted", fields: try JSONObjectReader(bytes)) },
            Result { try TicketEventCodec.decode(type: "TicketRouted", data: Data(bytes)) }
        )
    }

    @Test("a valid event decodes to the same value both ways; unknown members are ignored by both")
    func sameValue() throws {
        var data = routed
        data["addedLater"] = "ignored"
        let (fields, foundation) = decodeBoth(data)
        let event = try #require(try fields.get())
        #expect(event == (try foundation.get()))
        guard case .ticketRouted(let routed) = event else { throw CancellationError() }
        #expect(routed.decision.alternatives.first?.department == DepartmentID(unchecked: "zabita"))
        #expect(routed.dueAt == TicketEventCodec.parseTime("2025-03-02T08:15:00.000Z"))
    }

    @Test("times in the stored form and in other forms decode to the same instant both ways, or fail both ways")
    func timeForms() throws {
        for (text, expected) in [
            ("2025-03-01T08:15:00.000Z", 1_740_816_900.0), ("2025-03-01T08:15:00Z", 1_740_816_900.0),
            ("2025-03-01T11:15:00.250+03:00", 1_740_816_900.25),
        ] {
            var data = routed
            data["at"] = .string(text)
            let (fields, foundation) = decodeBoth(data)
            guard case .ticketRouted(let event)? = try fields.get() else { throw CancellationError() }
            #expect(event.at.timeIntervalSince1970 == expected, "\(text)")
            #expect(try foundation.get() == .ticketRouted(event), "\(text)")
        }
        // Not in the stored form: both read them with the same lenient RFC 3339 parser.
        for odd in ["2025-02-30T08:15:00.000Z", "2025-03-01T24:00:00.000Z", "2025-03-01 08:15:00.000Z", "1 March 2025"] {
            var data = routed
            data["at"] = .string(odd)
            let (fields, foundation) = decodeBoth(data)
            #expect((try? fields.get()) == (try? foundation.get()), "\(odd)")
        }
    }

    @Test("an optional member that is null or absent decodes as nil")
    func optionals() throws {
        for dueAt: JSONValue? in [.null, nil] {
            var data = routed
            data["dueAt"] = dueAt
            let (fields, foundation) = decodeBoth(data)
            guard case .ticketRouted(let event)? = try fields.get() else { throw CancellationError() }
            #expect(event.dueAt == nil)
            #expect(try foundation.get() == .ticketRouted(event))
        }
    }

    @Test("what Decodable refuses, the member-by-member decoder refuses too, naming the member")
    func refusals() throws {
        func with(_ change: (inout [String: JSONValue]) -> Void) -> [String: JSONValue] {
            var data = routed
            change(&data)
            return data
        }
        func decision(_ change: @escaping (inout [String: JSONValue]) -> Void) -> [String: JSONValue] {
            with { data in
                guard case .object(var decision)? = data["decision"] else { return }
                change(&decision)
                data["decision"] = .object(decision)
            }
        }
        let cases: [(String, [String: JSONValue])] = [
            ("at", with { $0["at"] = nil }),
            ("at", with { $0["at"] = "yesterday" }),
            ("ticket", with { $0["ticket"] = "42" }),
            ("priority", with { $0["priority"] = "high" }),
            ("priority", with { $0["priority"] = 2.5 }),
            ("destination", with { $0["destination"] = "Temizlik İşleri" }),
            ("decision.auto", decision { $0["auto"] = "yes" }),
            ("decision.terms", decision { $0["terms"] = nil }),
            (
                "decision.alternatives[0].confidence",
                decision { $0["alternatives"] = [["department": "zabita", "category": "zabita.isgal"]] }
            ),
        ]
        for (member, data) in cases {
            let (fields, foundation) = decodeBoth(data)
            #expect(throws: (any Error).self, "Decodable accepts \(member)?") { try foundation.get() }
            #expect {
                try fields.get()
            } throws: { error in
                let path = member.split(separator: ".").dropLast().joined(separator: ".")
                let name = member.split(separator: ".").last!.split(separator: "[").first!
                // Either the member's own path, or its object's path and the member by name.
                return "\(error)".hasPrefix(member) || ("\(error)".hasPrefix(path) && "\(error)".contains("\"\(name)\""))
            }
        }
    }
}
