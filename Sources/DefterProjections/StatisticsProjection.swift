public import DefterDomain
public import DefterLog
public import Foundation

/// One fact per ticket, from which statistics are computed for any period and grouping: when
/// and how the call came, where it went, how long acknowledgement and resolution took, whether
/// the service standard (as recorded at opening) was met, reopenings, referrals, overrides,
/// satisfaction. Information-only calls are facts too: they count as calls.
public struct StatisticsProjection: TicketProjection {
    public let name = "stats"
    /// 2: binary ticket states and facts. 3: no copy of the ticket states (see
    /// `storesTicketStates`).
    public let version = 3
    public let databases = ["facts"]

    public init() {}

    public func apply(_ change: TicketChange, to store: StoreWriter) throws {
        try apply([change], to: store)
    }

    /// Each ticket's fact is read once, updated with each of its changes in order, written once.
    public func apply(_ changes: [TicketChange], to store: StoreWriter) throws {
        // Each ticket's fact, in the order tickets first appear; `slots` finds it.
        var slots: [TicketID: Int] = [:]
        slots.reserveCapacity(changes.count)
        var facts: [TicketFact] = []
        facts.reserveCapacity(changes.count)
        for change in changes {
            let id = change.afterState.ticket.id
            let slot: Int
            if let known = slots[id] {
                slot = known
            } else {
                slot = facts.count
                slots[id] = slot
                // A ticket without a state before its first change here has no fact yet either.
                let stored = try change.beforeState == nil ? nil : store.get("facts", Array(id.rawValue.utf8))
                facts.append(try stored.map { try TicketFact(binary: $0) } ?? TicketFact(change.afterState.ticket))
            }
            facts[slot].update(with: change)
        }
        for index in facts.indices { try store.put("facts", Array(facts[index].ticket.rawValue.utf8), facts[index].binary) }
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
    /// The system the ticket was imported from; nil for calls this log witnessed.
    public internal(set) var importedFrom: String?

    /// Whether the ticket was imported from the system used before.
    public var imported: Bool { importedFrom != nil }

    init(_ ticket: Ticket) {
        self.ticket = ticket.id
        let local = IstanbulDate(ticket.receivedAt)
        day = local.dayText
        hour = local.hour
        weekday = local.weekday
        channel = ticket.channel
        district = ticket.location.district
        receivedAt = ticket.receivedAt
        status = ticket.status
    }

    mutating func update(with change: TicketChange) {
        // What the ticket's state after the change says, read in place (not copied).
        let state = change.afterState
        status = state.ticket.status
        if let department = state.ticket.department, department != .triage { self.department = department }
        category = state.ticket.category ?? category
        reopenCount = state.ticket.reopenCount
        referralCount = state.ticket.referralCount
        overrideCount = state.ticket.overrideCount
        escalations = state.ticket.escalatedDeadlines.count
        satisfaction = state.ticket.satisfaction ?? satisfaction
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
        case .ticketImported(let e):
            importedFrom = e.source.system
            adopt(e.record)
        case .importedRecordChanged(let e):
            // A changed record replaces what was imported before: it is a snapshot, not a step.
            adopt(e.record)
        default: break
        }
    }

    /// What an imported record says: opened (no call was witnessed), its deadline, and its
    /// closing as the source recorded it.
    private mutating func adopt(_ record: ImportedRecordState) {
        opened = true
        department = record.department
        firstDueAt = record.dueAt
        firstResolvedAt = record.state.isDone ? record.closedAt : nil
        endedAt = record.state.isDone || record.state == .cancelled ? record.closedAt : nil
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

extension TicketFact {
    static let format: UInt8 = 1

    /// The fact's compact binary form, as the `facts` database stores it.
    var binary: [UInt8] {
        var out = ByteWriter()
        out.bytes.reserveCapacity(128)
        out.byte(Self.format)
        out.string(ticket.rawValue)
        out.string(day)
        out.int(Int64(hour))
        out.int(Int64(weekday))
        out.string(channel.rawValue)
        out.string(district)
        out.time(receivedAt)
        out.optional(department) { $0.string($1.rawValue) }
        out.optional(category) { $0.string($1.rawValue) }
        out.byte((informationOnly ? 1 : 0) | (opened ? 2 : 0) | (triaged ? 4 : 0))
        out.string(status.rawValue)
        out.optional(firstDueAt) { $0.time($1) }
        out.optional(firstAcknowledgedAt) { $0.time($1) }
        out.optional(firstResolvedAt) { $0.time($1) }
        out.optional(endedAt) { $0.time($1) }
        out.int(Int64(reopenCount))
        out.int(Int64(referralCount))
        out.int(Int64(overrideCount))
        out.int(Int64(escalations))
        out.optional(satisfaction) { $0.int(Int64($1)) }
        // Imported tickets only; facts written before imports existed end here.
        if let importedFrom { out.string(importedFrom) }
        return out.bytes
    }

    /// Reads a fact written by `binary`.
    init(binary: [UInt8]) throws {
        var input = ByteReader(binary)
        func damaged() -> StorageError {
            StorageError(.corrupted, "a statistics fact is damaged; rebuild with `defter replay --projection stats`")
        }
        guard try input.byte() == Self.format else { throw damaged() }
        ticket = try TicketID(try input.string())
        day = try input.string()
        hour = Int(try input.int())
        weekday = Int(try input.int())
        guard let channel = Channel(rawValue: try input.string()) else { throw damaged() }
        self.channel = channel
        district = try input.string()
        receivedAt = try input.time()
        department = try input.optional { DepartmentID(unchecked: try $0.string()) }
        category = try input.optional { CategoryID(unchecked: try $0.string()) }
        let flags = try input.byte()
        informationOnly = flags & 1 != 0
        opened = flags & 2 != 0
        triaged = flags & 4 != 0
        guard let status = Ticket.Status(rawValue: try input.string()) else { throw damaged() }
        self.status = status
        firstDueAt = try input.optional { try $0.time() }
        firstAcknowledgedAt = try input.optional { try $0.time() }
        firstResolvedAt = try input.optional { try $0.time() }
        endedAt = try input.optional { try $0.time() }
        reopenCount = Int(try input.int())
        referralCount = Int(try input.int())
        overrideCount = Int(try input.int())
        escalations = Int(try input.int())
        satisfaction = try input.optional { Int(try $0.int()) }
        if !input.isAtEnd { importedFrom = try input.string() }
        guard input.isAtEnd else { throw damaged() }
    }
}
