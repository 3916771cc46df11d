import DefterDomain
public import DefterLog
public import Foundation

// The JSON shapes in which the CLI (`--json`) and the HTTP API show read models: one definition,
// so both always agree. None of them carries personal data.

extension TicketView {
    /// The ticket view as JSON.
    public var json: JSONValue {
        let ticket = self.ticket
        var object: [String: JSONValue] = [
            "ticket": .string(ticket.id.rawValue), "status": .string(ticket.status.rawValue), "version": .integer(Int64(ticket.version)),
            "channel": .string(ticket.channel.rawValue), "district": .string(ticket.location.district),
            "receivedAt": .string(TicketEventCodec.format(ticket.receivedAt)), "reopenCount": .integer(Int64(ticket.reopenCount)),
            "referralCount": .integer(Int64(ticket.referralCount)), "duplicates": .array(duplicates.map { .string($0.rawValue) }),
            "personalData": .string(personalDataErasedAt == nil ? "sealed" : "erased"),
            "notifications": .array(notifications.map(\.json)),
            "lastNotificationFailed": .bool(notifications.last?.outcome == "failed"),
        ]
        object["department"] = ticket.department.map { .string($0.rawValue) } ?? .null
        object["category"] = ticket.category.map { .string($0.rawValue) } ?? .null
        object["priority"] = ticket.priority.map { .integer(Int64($0)) } ?? .null
        object["dueAt"] = ticket.dueAt.map { .string(TicketEventCodec.format($0)) } ?? .null
        object["resolvedAt"] = ticket.resolvedAt.map { .string(TicketEventCodec.format($0)) } ?? .null
        object["assignee"] = ticket.assignee.map { .string($0) } ?? .null
        object["duplicateOf"] = ticket.duplicateOf.map { .string($0.rawValue) } ?? .null
        object["neighbourhood"] = ticket.location.neighbourhood.map { .string($0) } ?? .null
        // Imported tickets say where they came from: their times are that system's, not witnessed here.
        if let source = ticket.source {
            object["source"] = ["system": .string(source.system), "id": .string(source.id)]
        }
        return .object(object)
    }
}

extension QueueItem {
    /// The queue line as JSON, with `overdue` judged at `now`.
    public func json(now: Date) -> JSONValue {
        var object: [String: JSONValue] = [
            "ticket": .string(ticket.rawValue), "status": .string(status.rawValue), "district": .string(district),
            "receivedAt": .string(TicketEventCodec.format(receivedAt)), "overdue": .bool(isOverdue(at: now)), "escalated": .bool(escalated),
            "reopenCount": .integer(Int64(reopenCount)),
        ]
        object["category"] = category.map { .string($0.rawValue) } ?? .null
        object["priority"] = priority.map { .integer(Int64($0)) } ?? .null
        object["dueAt"] = dueAt.map { .string(TicketEventCodec.format($0)) } ?? .null
        object["neighbourhood"] = neighbourhood.map { .string($0) } ?? .null
        object["assignee"] = assignee.map { .string($0) } ?? .null
        return .object(object)
    }
}

extension QueuePage {
    /// The page as JSON, with `overdue` judged at `now`.
    public func json(now: Date) -> JSONValue {
        [
            "department": .string(department.rawValue), "matching": .integer(Int64(matching)),
            "counts": .object(Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, JSONValue.integer(Int64($0.value))) })),
            "items": .array(items.map { $0.json(now: now) }),
        ]
    }
}

extension StatisticsRow {
    /// The columns of a statistics row, in the order the CSV prints them.
    public static let columns = [
        "key", "calls", "imported", "opened", "resolved", "closedAtFirstContact", "cancelled", "merged", "triaged",
        "acknowledgeMedianHours",
        "acknowledgeP90Hours", "resolveMedianHours", "resolveP90Hours", "slaMetShare", "reopenRate", "referrals", "overrides", "escalated",
        "satisfactionAverage", "satisfactionCount",
    ]

    /// The row as JSON; hours and shares rounded to two places.
    public var json: JSONValue {
        func number(_ value: Double?) -> JSONValue { value.map { .number(($0 * 100).rounded() / 100) } ?? .null }
        return [
            "key": .string(key), "calls": .integer(Int64(calls)), "imported": .integer(Int64(imported)), "opened": .integer(Int64(opened)),
            "resolved": .integer(Int64(resolved)),
            "closedAtFirstContact": .integer(Int64(closedAtFirstContact)), "cancelled": .integer(Int64(cancelled)),
            "merged": .integer(Int64(merged)), "triaged": .integer(Int64(triaged)),
            "acknowledgeMedianHours": number(acknowledgeMedianHours), "acknowledgeP90Hours": number(acknowledgeP90Hours),
            "resolveMedianHours": number(resolveMedianHours), "resolveP90Hours": number(resolveP90Hours),
            "slaMetShare": number(slaMetShare),
            "reopenRate": number(reopenRate), "referrals": .integer(Int64(referrals)), "overrides": .integer(Int64(overrides)),
            "escalated": .integer(Int64(escalated)), "satisfactionAverage": number(satisfactionAverage),
            "satisfactionCount": .integer(Int64(satisfactionCount)),
        ]
    }
}

extension StatisticsReport {
    /// Whether `text` is a calendar day written `YYYY-MM-DD`.
    public static func isDay(_ text: String) -> Bool {
        guard let date = try? Date.ISO8601FormatStyle().year().month().day().parse(text) else { return false }
        return Date.ISO8601FormatStyle().year().month().day().format(date) == text
    }
}
