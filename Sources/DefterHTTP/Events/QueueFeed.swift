public import DefterDomain
public import DefterLog
import DefterTickets
import Foundation

/// A ticket entering, changing in, or leaving one department's queue.
public struct QueueChange: Sendable, Equatable {
    /// How the ticket moved relative to the queue.
    public enum Kind: String, Sendable {
        /// It was not in the queue and now is.
        case entered
        /// It stays in the queue with new state.
        case changed
        /// It was in the queue and no longer is (resolved, referred elsewhere, merged...).
        case left
    }

    /// The log sequence of the event: the stream's `id:`, and what `Last-Event-ID` resumes from.
    public let sequence: UInt64
    public let kind: Kind
    /// The ticket event's type, e.g. `TicketRouted`.
    public let type: String
    /// The ticket after the event.
    public let ticket: Ticket

    /// The change as JSON: the ticket's public fields, never personal data.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "seq": .integer(Int64(sequence)), "change": .string(kind.rawValue), "type": .string(type),
            "ticket": .string(ticket.id.rawValue), "status": .string(ticket.status.rawValue), "version": .integer(Int64(ticket.version)),
            "district": .string(ticket.location.district), "receivedAt": .string(TicketEventCodec.format(ticket.receivedAt)),
        ]
        object["department"] = ticket.department.map { .string($0.rawValue) } ?? .null
        object["category"] = ticket.category.map { .string($0.rawValue) } ?? .null
        object["priority"] = ticket.priority.map { .integer(Int64($0)) } ?? .null
        object["dueAt"] = ticket.dueAt.map { .string(TicketEventCodec.format($0)) } ?? .null
        return .object(object)
    }

    /// The change as one Server-Sent Events message.
    public var message: String {
        "id: \(sequence)\nevent: \(kind.rawValue)\ndata: \(json.canonicalString)\n\n"
    }
}

/// Turns log entries into one department's queue changes: it replays each ticket's state before
/// and after every ticket event (from the ticket's own stream, so any starting point works) and
/// keeps the events that touch the department's queue.
public struct QueueFeed: Sendable {
    let log: EventLog
    let department: DepartmentID
    private var states: [TicketID: Ticket] = [:]

    /// A feed of `department`'s queue over `log`.
    public init(log: EventLog, department: DepartmentID) {
        self.log = log
        self.department = department
    }

    /// The change `entry` makes to the queue, or nil when it makes none.
    public mutating func change(for entry: LogEntry) throws -> QueueChange? {
        guard let id = TicketID(streamName: entry.stream.rawValue), let event = try TicketService.ticketEvent(entry) else { return nil }
        let before: Ticket?
        if let cached = states[id], cached.version + 1 == Int(entry.streamVersion) {
            before = cached
        } else if entry.streamVersion <= 1 {
            before = nil
        } else {
            let earlier = try log.entries(inStream: entry.stream, fromVersion: 1, limit: Int(entry.streamVersion) - 1)
            before = try TicketRules.replay(try earlier.compactMap { try TicketService.ticketEvent($0) })
        }
        let after = try TicketRules.evolve(before, event)
        if states.count > 10_000 { states = [:] }
        states[id] = after
        let wasIn = before.map(isInQueue) ?? false
        let isIn = isInQueue(after)
        guard wasIn || isIn else { return nil }
        let kind: QueueChange.Kind = wasIn ? (isIn ? .changed : .left) : .entered
        return QueueChange(sequence: entry.sequence, kind: kind, type: entry.type, ticket: after)
    }

    private func isInQueue(_ ticket: Ticket) -> Bool {
        ticket.status.isOpen && ticket.department == department
    }
}
