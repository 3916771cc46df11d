public import DefterDomain
public import DefterLog
import DefterTickets
public import Foundation

/// The current state of every ticket, without personal data: status, department, category,
/// priority, deadlines, assignee, the time of each step, reopen count, duplicate links, and
/// whether the citizen's personal data was erased. The state itself is the worker's `state`
/// database; this projection adds the citizen index and erasure marks.
public struct TicketViewProjection: TicketProjection {
    public let name = "tickets"
    /// 2: ticket states are stored in `TicketStateCodec`'s binary form. 3: notifications of the
    /// citizen, with their outcome, in `notifications`.
    public let version = 3
    public let databases = ["citizens", "erased", "duplicates", "notifications"]

    public let otherEntryTypes: Set<String> = ["PersonalDataErased"]
    public let storesTicketStates = true

    public init() {}

    public func apply(_ change: TicketChange, to store: StoreWriter) throws {
        if change.beforeState == nil {
            let key = Array(change.afterState.ticket.citizen.rawValue.utf8) + [0] + Array(change.afterState.ticket.id.rawValue.utf8)
            try store.put("citizens", key, [])
        }
        if case .ticketMergedAsDuplicate(let merged) = change.event {
            try store.put("duplicates", Array(merged.duplicateOf.rawValue.utf8) + [0] + Array(merged.ticket.rawValue.utf8), [])
        }
        if case .citizenNotified(let notified) = change.event {
            var sequence = change.entry.sequence.bigEndian
            let key = Array(notified.ticket.rawValue.utf8) + [0] + withUnsafeBytes(of: &sequence) { Array($0) }
            try store.put("notifications", key, Array(TicketNotification(notified).json.canonicalString.utf8))
        }
    }

    public func apply(other entry: LogEntry, to store: StoreWriter) throws {
        guard entry.type == "PersonalDataErased", case .string(let citizen)? = try entry.data()["citizen"] else { return }
        let prefix = Array(citizen.utf8) + [0]
        var tickets: [[UInt8]] = []
        try store.scan("citizens", from: prefix) { key, _ in
            guard key.starts(with: prefix) else { return false }
            tickets.append(Array(key.dropFirst(prefix.count)))
            return true
        }
        for ticket in tickets { try store.put("erased", ticket, Array(TicketEventCodec.format(entry.recordedAt.date).utf8)) }
    }
}

/// A ticket as the view shows it.
public struct TicketView: Sendable, Equatable {
    public let ticket: Ticket
    /// When the citizen's personal data was erased, if it was.
    public let personalDataErasedAt: String?
    /// Tickets merged into this one.
    public let duplicates: [TicketID]
    /// What the citizen was told, oldest first, with each attempt's outcome (a failed one is
    /// what the department must follow up by other means).
    public let notifications: [TicketNotification]
}

/// One `CitizenNotified` as the ticket view shows it: no contact detail, only what and how.
public struct TicketNotification: Sendable, Equatable {
    public let at: Date
    public let channel: String
    public let template: String
    /// `sent` or `failed` (staff records and old events without an outcome count as sent).
    public let outcome: String
    public let attempts: Int?
    public let failure: String?

    init(_ event: CitizenNotified) {
        at = event.at
        channel = event.channel
        template = event.template
        outcome = event.outcome ?? "sent"
        attempts = event.attempts
        failure = event.failure
    }

    init(json: JSONValue) throws {
        guard case .object(let object) = json, case .string(let at)? = object["at"], let date = TicketEventCodec.parseTime(at),
            case .string(let channel)? = object["channel"], case .string(let template)? = object["template"],
            case .string(let outcome)? = object["outcome"]
        else { throw StorageError(.corrupted, "a stored ticket notification does not decode") }
        self.at = date
        self.channel = channel
        self.template = template
        self.outcome = outcome
        if case .integer(let attempts)? = object["attempts"] { self.attempts = Int(attempts) } else { self.attempts = nil }
        if case .string(let failure)? = object["failure"] { self.failure = failure } else { self.failure = nil }
    }

    /// The notification as JSON.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "at": .string(TicketEventCodec.format(at)), "channel": .string(channel), "template": .string(template),
            "outcome": .string(outcome),
        ]
        object["attempts"] = attempts.map { .integer(Int64($0)) } ?? .null
        object["failure"] = failure.map { .string($0) } ?? .null
        return .object(object)
    }
}

extension ProjectionWorker {
    /// Reads one ticket from a `tickets` projection.
    public func ticketView(_ id: TicketID) throws -> TicketView? {
        try store.read { reader in
            guard let stored = try reader.get("state", Array(id.rawValue.utf8)) else { return nil }
            return try Self.view(of: try TicketStateCodec.decode(stored), reader)
        }
    }

    /// Reads, in number order, the tickets of a `tickets` projection numbered in `years` for
    /// which `include` holds. Numbers begin with their year, so other years are never read.
    public func ticketViews(numberedIn years: ClosedRange<Int>, where include: (Ticket) -> Bool) throws -> [TicketView] {
        try store.read { reader in
            var tickets: [Ticket] = []
            try reader.scan("state", from: Array("\(years.lowerBound)-".utf8)) { key, value in
                guard let year = Int(String(decoding: key.prefix(4), as: UTF8.self)), years.contains(year) else { return false }
                let ticket = try TicketStateCodec.decode(value)
                if include(ticket) { tickets.append(ticket) }
                return true
            }
            return try tickets.map { try Self.view(of: $0, reader) }
        }
    }

    private static func view(of ticket: Ticket, _ reader: StoreReader) throws -> TicketView {
        let id = ticket.id
        let erased = try reader.get("erased", Array(id.rawValue.utf8)).map { String(decoding: $0, as: UTF8.self) }
        let prefix = Array(id.rawValue.utf8) + [0]
        var duplicates: [TicketID] = []
        try reader.scan("duplicates", from: prefix) { key, _ in
            guard key.starts(with: prefix) else { return false }
            if let duplicate = try? TicketID(String(decoding: key.dropFirst(prefix.count), as: UTF8.self)) {
                duplicates.append(duplicate)
            }
            return true
        }
        var notifications: [TicketNotification] = []
        try reader.scan("notifications", from: prefix) { key, value in
            guard key.starts(with: prefix) else { return false }
            notifications.append(try TicketNotification(json: try JSONValue(parsing: value)))
            return true
        }
        return TicketView(ticket: ticket, personalDataErasedAt: erased, duplicates: duplicates, notifications: notifications)
    }
}
