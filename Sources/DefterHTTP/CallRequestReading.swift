import DefterDomain
import DefterLog
import DefterTickets
import Foundation

/// Reads a call from the JSON object the request body was already parsed into, member by
/// member, instead of parsing the body a second time with `JSONDecoder` (a few per cent of
/// intake's time). It reads only what is certainly valid; anything else (a missing or null
/// member, a wrong type, an unknown channel, a time it cannot read) gives nil, and the caller
/// decodes with `JSONDecoder` as before, so that every refusal keeps its exact wording.
enum CallRequestReading {
    static func call(_ fields: [String: JSONValue]) -> CallRequest? {
        guard let callId = string(fields["callId"]), let channelName = string(fields["channel"]),
            let channel = Channel(rawValue: channelName), let operatorId = string(fields["operatorId"]),
            let district = string(fields["district"]), case .object(let callerFields)? = fields["caller"],
            let caller = personalData(callerFields)
        else { return nil }
        var at: Date?
        if let member = present(fields["at"]) {
            guard let text = string(member), let time = TicketEventCodec.parseTime(text) else { return nil }
            at = time
        }
        guard let neighbourhood = optionalString(fields["neighbourhood"]), let category = optionalString(fields["category"]),
            let informationTopic = optionalString(fields["informationTopic"])
        else { return nil }
        var notify: Bool?
        if let member = present(fields["notify"]) {
            guard case .bool(let flag) = member else { return nil }
            notify = flag
        }
        return CallRequest(
            callId: callId, channel: channel, operatorId: operatorId, at: at, district: district, neighbourhood: neighbourhood,
            caller: caller, category: category, informationTopic: informationTopic, notify: notify)
    }

    private static func personalData(_ fields: [String: JSONValue]) -> PersonalData? {
        guard let text = string(fields["text"]), let name = optionalString(fields["name"]), let phone = optionalString(fields["phone"]),
            let nationalId = optionalString(fields["nationalId"]), let address = optionalString(fields["address"]),
            let email = optionalString(fields["email"]), let mediaURL = optionalString(fields["mediaURL"])
        else { return nil }
        var coordinates: PersonalData.Coordinates?
        if let member = present(fields["coordinates"]) {
            guard case .object(let position) = member, let latitude = number(position["latitude"]),
                let longitude = number(position["longitude"])
            else { return nil }
            coordinates = PersonalData.Coordinates(latitude: latitude, longitude: longitude)
        }
        return PersonalData(
            name: name, phone: phone, nationalId: nationalId, address: address, email: email, coordinates: coordinates,
            mediaURL: mediaURL, text: text)
    }

    /// The member unless it is absent or null (what `decodeIfPresent` reads as nil).
    private static func present(_ value: JSONValue?) -> JSONValue? {
        guard let value, value != .null else { return nil }
        return value
    }

    private static func string(_ value: JSONValue?) -> String? {
        guard case .string(let text)? = value else { return nil }
        return text
    }

    /// `.some(nil)` when absent or null, `.some(text)` for a string, nil for anything else.
    private static func optionalString(_ value: JSONValue?) -> String?? {
        guard let member = present(value) else { return .some(nil) }
        guard case .string(let text) = member else { return nil }
        return .some(text)
    }

    private static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .number(let number)?: number
        case .integer(let integer)? where integer.magnitude < 1 << 53: Double(integer)
        default: nil
        }
    }
}
