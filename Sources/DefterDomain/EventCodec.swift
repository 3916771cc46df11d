public import Foundation

/// Encodes ticket events to JSON and back. Times are RFC 3339 UTC with milliseconds; keys are
/// sorted so that the same event always gives the same bytes.
public enum TicketEventCodec {
    static let parseStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
    static let secondsStyle = Date.ISO8601FormatStyle(timeZone: .gmt)

    /// Formats a time the way events store it: `2025-03-01T08:15:00.123Z`, rounded to the
    /// millisecond (Foundation's formatter truncates, and a millisecond held in a `Double` is
    /// often a hair below itself, so a time would not survive a round trip).
    public static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let fraction = milliseconds - seconds * 1000
        let whole = secondsStyle.format(Date(timeIntervalSince1970: Double(seconds)))
        let digits = String(fraction)
        return whole.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// Parses a time in the stored form, to the millisecond.
    public static func parseTime(_ text: String) -> Date? {
        guard let date = try? parseStyle.parse(text) else { return nil }
        return Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    /// The encoder events are written with.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(format(date))
        }
        return encoder
    }

    /// The decoder events are read with.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTime(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an RFC 3339 UTC time")
            }
            return date
        }
        return decoder
    }

    /// The event's JSON data object.
    public static func encode(_ event: TicketEvent) throws -> Data {
        let encoder = makeEncoder()
        switch event {
        case .callReceived(let e): return try encoder.encode(e)
        case .informationProvided(let e): return try encoder.encode(e)
        case .ticketOpened(let e): return try encoder.encode(e)
        case .ticketRouted(let e): return try encoder.encode(e)
        case .routingOverridden(let e): return try encoder.encode(e)
        case .ticketReferred(let e): return try encoder.encode(e)
        case .ticketAssigned(let e): return try encoder.encode(e)
        case .ticketAcknowledged(let e): return try encoder.encode(e)
        case .workStarted(let e): return try encoder.encode(e)
        case .ticketResolved(let e): return try encoder.encode(e)
        case .ticketClosed(let e): return try encoder.encode(e)
        case .ticketReopened(let e): return try encoder.encode(e)
        case .ticketMergedAsDuplicate(let e): return try encoder.encode(e)
        case .ticketCancelled(let e): return try encoder.encode(e)
        case .citizenNotified(let e): return try encoder.encode(e)
        case .feedbackReceived(let e): return try encoder.encode(e)
        case .slaEscalated(let e): return try encoder.encode(e)
        }
    }

    /// Decodes a stored event of type `type`; nil for types that are not ticket events.
    public static func decode(type: String, data: Data) throws -> TicketEvent? {
        let decoder = makeDecoder()
        switch type {
        case "CallReceived": return .callReceived(try decoder.decode(CallReceived.self, from: data))
        case "InformationProvided": return .informationProvided(try decoder.decode(InformationProvided.self, from: data))
        case "TicketOpened": return .ticketOpened(try decoder.decode(TicketOpened.self, from: data))
        case "TicketRouted": return .ticketRouted(try decoder.decode(TicketRouted.self, from: data))
        case "RoutingOverridden": return .routingOverridden(try decoder.decode(RoutingOverridden.self, from: data))
        case "TicketReferred": return .ticketReferred(try decoder.decode(TicketReferred.self, from: data))
        case "TicketAssigned": return .ticketAssigned(try decoder.decode(TicketAssigned.self, from: data))
        case "TicketAcknowledged": return .ticketAcknowledged(try decoder.decode(TicketAcknowledged.self, from: data))
        case "WorkStarted": return .workStarted(try decoder.decode(WorkStarted.self, from: data))
        case "TicketResolved": return .ticketResolved(try decoder.decode(TicketResolved.self, from: data))
        case "TicketClosed": return .ticketClosed(try decoder.decode(TicketClosed.self, from: data))
        case "TicketReopened": return .ticketReopened(try decoder.decode(TicketReopened.self, from: data))
        case "TicketMergedAsDuplicate": return .ticketMergedAsDuplicate(try decoder.decode(TicketMergedAsDuplicate.self, from: data))
        case "TicketCancelled": return .ticketCancelled(try decoder.decode(TicketCancelled.self, from: data))
        case "CitizenNotified": return .citizenNotified(try decoder.decode(CitizenNotified.self, from: data))
        case "FeedbackReceived": return .feedbackReceived(try decoder.decode(FeedbackReceived.self, from: data))
        case "SLAEscalated": return .slaEscalated(try decoder.decode(SLAEscalated.self, from: data))
        default: return nil
        }
    }
}
