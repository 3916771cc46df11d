public import DefterDomain
public import DefterLog

extension TicketService {
    /// The data object of a ticket event. The three ticket events every call appends (received,
    /// opened, routed; its `TicketNumberAssigned` is built below too) are built member by member, which costs a fraction of `Encodable`'s machinery on
    /// intake's path; every other event goes through `eventEncoder`. Both give the same value
    /// (`DirectEncodingTests`).
    static func data(of event: TicketEvent) throws -> JSONValue {
        switch event {
        case .callReceived(let e): e.data
        case .ticketOpened(let e): e.data
        case .ticketRouted(let e): try e.data
        default: try eventEncoder.encode(event.payload)
        }
    }
}

extension TicketNumberAssigned {
    /// The event's data object, built directly: what `TicketService.json(_:)` makes of it through
    /// `JSONEncoder`, at a fraction of the cost, for every call taken.
    var data: JSONValue {
        .object(["ticket": .string(ticket.rawValue), "callId": .string(callId), "at": .string(TicketEventCodec.format(at))])
    }
}

extension CallReceived {
    var data: JSONValue {
        var members: [String: JSONValue] = [
            "ticket": .string(ticket.rawValue), "callId": .string(callId), "channel": .string(channel.rawValue),
            "operatorId": .string(operatorId.rawValue), "at": .string(TicketEventCodec.format(at)),
            "location": location.data, "personalData": personalData.data, "textLength": .integer(Int64(textLength)),
            "informationOnly": .bool(informationOnly),
        ]
        if let operatorCategory { members["operatorCategory"] = .string(operatorCategory.rawValue) }
        if let notificationsOptOut { members["notificationsOptOut"] = .bool(notificationsOptOut) }
        return .object(members)
    }
}

extension Location {
    var data: JSONValue {
        var members: [String: JSONValue] = ["district": .string(district)]
        if let neighbourhood { members["neighbourhood"] = .string(neighbourhood) }
        return .object(members)
    }
}

extension SealedPersonalData {
    var data: JSONValue {
        .object([
            "citizen": .string(citizen.rawValue), "algorithm": .string(algorithm), "sealed": .string(sealed),
            "fields": .array(fields.map { .string($0) }),
        ])
    }
}

extension TicketOpened {
    var data: JSONValue {
        .object([
            "ticket": .string(ticket.rawValue), "at": .string(TicketEventCodec.format(at)),
            "catalogVersion": .integer(Int64(catalogVersion)),
        ])
    }
}

extension TicketRouted {
    var data: JSONValue {
        get throws {
            var members: [String: JSONValue] = [
                "ticket": .string(ticket.rawValue), "at": .string(TicketEventCodec.format(at)),
                "destination": .string(destination.rawValue),
                "category": .string(category.rawValue), "standardHours": .integer(Int64(standardHours)),
                "priority": .integer(Int64(priority)), "decision": try decision.data,
            ]
            if let dueAt { members["dueAt"] = .string(TicketEventCodec.format(dueAt)) }
            return .object(members)
        }
    }
}

extension RoutingDecision {
    var data: JSONValue {
        get throws {
            .object([
                "department": .string(department.rawValue), "category": .string(category.rawValue),
                "confidence": try JSONValueEncoder.number(confidence), "auto": .bool(auto), "routerVersion": .string(routerVersion),
                "threshold": try JSONValueEncoder.number(threshold),
                "alternatives": .array(
                    try alternatives.map { alternative in
                        .object([
                            "department": .string(alternative.department.rawValue), "category": .string(alternative.category.rawValue),
                            "confidence": try JSONValueEncoder.number(alternative.confidence),
                        ])
                    }),
                "terms": .array(terms.map { .string($0) }),
            ])
        }
    }
}
