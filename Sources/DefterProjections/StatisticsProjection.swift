public import DefterDomain
public import DefterLog
public import Foundation

/// One fact per ticket, from which statistics are computed for any period and grouping: when
/// and how the call came, where it went, how long acknowledgement and resolution took, whether
/// the service standard (as recorded at opening) was met, reopenings, referrals, overrides,
/// satisfaction. Information-only calls are facts too: they count as calls.
public struct StatisticsProjection: TicketProjection {
    public let name = "stats"
    public let version = 1
    public let databases = ["facts"]

    public init() {}

    public func apply(_ change: TicketChange, to store: StoreWriter) throws {
        let key = Array(change.after.id.rawValue.utf8)
        var fact =
            try store.get("facts", key).map { try ProjectionCodec.decoder.decode(TicketFact.self, from: Data($0)) }
            ?? TicketFact(change.after)
        fact.update(with: change)
        try store.put("facts", key, Array(try ProjectionCodec.encoder.encode(fact)))
    }
}

/// What the statistics know of one ticket.
public struct TicketFact: Codable, Sendable, Equatable {
    public let ticket: TicketID
    /// The call's day, hour and weekday in Europe/Istanbul (`2025-03-01`, 0-23, 1 = Monday).
    public let day: String
    public let hour: Int
    public let weekday: Int
    public let channel: Channel
    public let district: String
    public let receivedAt: Date
    public internal(set) var department: DepartmentID?
    public internal(set) var category: CategoryID?
    public internal(set) var informationOnly = false
    public internal(set) var opened = false
    public internal(set) var triaged = false
    public internal(set) var status: Ticket.Status
    public internal(set) var firstDueAt: Date?
    public internal(set) var firstAcknowledgedAt: Date?
    public internal(set) var firstResolvedAt: Date?
    /// When the ticket left the backlog (resolved, cancelled, merged), for the backlog sweep.
    public internal(set) var endedAt: Date?
    public internal(set) var reopenCount = 0
    public internal(set) var referralCount = 0
    public internal(set) var overrideCount = 0
    public internal(set) var escalations = 0
    public internal(set) var satisfaction: Int?

    init(_ ticket: Ticket) {
        self.ticket = ticket.id
        let parts = Calendar.istanbul.dateComponents([.year, .month, .day, .hour, .weekday], from: ticket.receivedAt)
        day = String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
        hour = parts.hour!
        weekday = (parts.weekday! + 5) % 7 + 1
        channel = ticket.channel
        district = ticket.location.district
        receivedAt = ticket.receivedAt
        status = ticket.status
    }

    mutating func update(with change: TicketChange) {
        let ticket = change.after
        status = ticket.status
        if let department = ticket.department, department != .triage { self.department = department }
        category = ticket.category ?? category
        reopenCount = ticket.reopenCount
        referralCount = ticket.referralCount
        overrideCount = ticket.overrideCount
        escalations = ticket.escalatedDeadlines.count
        satisfaction = ticket.satisfaction ?? satisfaction
        switch change.event {
        case .informationProvided: informationOnly = true
        case .ticketOpened: opened = true
        case .ticketRouted(let routed):
            if routed.destination == .triage { triaged = true }
            if firstDueAt == nil { firstDueAt = routed.dueAt }
        case .routingOverridden(let overridden):
            if firstDueAt == nil { firstDueAt = overridden.dueAt }
        case .ticketAcknowledged(let e):
            if firstAcknowledgedAt == nil { firstAcknowledgedAt = e.at }
        case .ticketResolved(let e):
            if firstResolvedAt == nil { firstResolvedAt = e.at }
            endedAt = e.at
        case .ticketCancelled(let e): endedAt = e.at
        case .ticketMergedAsDuplicate(let e): endedAt = e.at
        case .ticketReopened: endedAt = nil
        default: break
        }
    }

    /// Milliseconds from the call to the first acknowledgement.
    public var millisecondsToAcknowledge: Int64? { firstAcknowledgedAt.map { Self.milliseconds(from: receivedAt, to: $0) } }
    /// Milliseconds from the call to the first resolution.
    public var millisecondsToResolve: Int64? { firstResolvedAt.map { Self.milliseconds(from: receivedAt, to: $0) } }

    /// Times in the log are whole milliseconds: round away the `Date` representation's noise.
    static func milliseconds(from start: Date, to end: Date) -> Int64 {
        Int64((end.timeIntervalSince1970 * 1000).rounded()) - Int64((start.timeIntervalSince1970 * 1000).rounded())
    }
    /// Whether the first resolution came within the deadline set when the ticket was routed.
    public var slaMet: Bool? {
        guard let resolved = firstResolvedAt, let due = firstDueAt else { return nil }
        return resolved <= due
    }
}
