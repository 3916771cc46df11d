public import DefterDomain
public import DefterLog
public import Foundation

/// Every department's open tickets, ordered by priority, then service-standard deadline, then
/// age, with counts by status. The triage queue (tickets the router was not sure of) is a queue
/// like any other, under the department id `triage`.
public struct QueueProjection: TicketProjection {
    public let name = "queues"
    /// 2: queue values carry a filter header before the item's JSON. 3: binary ticket states.
    /// 4: filter indexes. 5: no `position` index (each ticket's queue key, never read: a move
    /// computes the old key from the ticket's state before it). 6: no copy of the ticket states
    /// (see `storesTicketStates`).
    public let version = 6
    /// `queue`: the items in queue order; `counts`: open tickets per department and status;
    /// `filters`: the queue keys again under each ticket's status, category and district, so a
    /// filtered read is a range read.
    public let databases = ["queue", "counts", "filters"]

    public init() {}

    /// The queue key: department, 0x00, priority, deadline (ms), received (ms), ticket. (Helpers
    /// take the shared `TicketState`: handing a function the `Ticket` it holds would copy it.)
    static func key(_ state: TicketState) -> [UInt8]? {
        guard state.ticket.status.isOpen, let department = state.ticket.department else { return nil }
        var key: [UInt8] = []
        key.reserveCapacity(department.rawValue.utf8.count + 18 + state.ticket.id.rawValue.utf8.count)
        key.append(contentsOf: department.rawValue.utf8)
        key.append(0)
        key.append(UInt8(state.ticket.priority ?? 9))
        appendBigEndian(ProjectionCodec.milliseconds(state.ticket.dueAt), to: &key)
        appendBigEndian(ProjectionCodec.milliseconds(state.ticket.receivedAt), to: &key)
        key.append(contentsOf: state.ticket.id.rawValue.utf8)
        return key
    }

    private static func appendBigEndian(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// What a filter index is keyed by.
    enum FilterKind: UInt8 {
        case status = 0x73  // "s"
        case category = 0x63  // "c"
        case district = 0x64  // "d"
    }

    /// The start of a filter index range: department, 0x00, kind, value, 0x00.
    static func filterPrefix(_ department: DepartmentID, _ kind: FilterKind, _ value: String) -> [UInt8] {
        filterKey(department, kind, value, order: [])
    }

    /// A filter index key: the prefix of `kind` and `value`, then `order`.
    private static func filterKey(_ department: DepartmentID, _ kind: FilterKind, _ value: String, order: ArraySlice<UInt8>) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(department.rawValue.utf8.count + value.utf8.count + 3 + order.count)
        key.append(contentsOf: department.rawValue.utf8)
        key.append(0)
        key.append(kind.rawValue)
        key.append(contentsOf: value.utf8)
        key.append(0)
        key.append(contentsOf: order)
        return key
    }

    /// A ticket's row in the filter index of `kind`: the prefix, then its queue key's order part.
    static func filterKey(_ kind: FilterKind, _ state: TicketState, queueKey: [UInt8]) -> [UInt8]? {
        guard let department = state.ticket.department else { return nil }
        let order = queueKey[(department.rawValue.utf8.count + 1)...]
        let value =
            switch kind {
            case .status: state.ticket.status.rawValue
            case .category: state.ticket.category?.rawValue ?? ""
            case .district: state.ticket.location.district
            }
        return filterKey(department, kind, value, order: order)
    }

    /// Which filter rows of a ticket change when it moves from `old` (at `oldKey`) to `new` (at
    /// `newKey`): those whose value or queue position changed.
    static func changedFilterKinds(_ old: TicketState?, _ oldKey: [UInt8]?, _ new: TicketState, _ newKey: [UInt8]?) -> [FilterKind] {
        guard let old, oldKey != nil, oldKey == newKey else { return [.status, .category, .district] }
        var kinds: [FilterKind] = []
        if old.ticket.status != new.ticket.status { kinds.append(.status) }
        if old.ticket.category != new.ticket.category { kinds.append(.category) }
        if old.ticket.location.district != new.ticket.location.district { kinds.append(.district) }
        return kinds
    }

    static func countKey(_ department: DepartmentID, _ status: Ticket.Status) -> [UInt8] {
        Array(department.rawValue.utf8) + [0] + Array(status.rawValue.utf8)
    }

    /// A department's count of open tickets in one status.
    private struct CountSlot: Hashable {
        let department: DepartmentID
        let status: Ticket.Status
    }

    public func apply(_ change: TicketChange, to store: StoreWriter) throws {
        try apply([change], to: store)
    }

    /// Only where each ticket stood before its first change and after its last matters: the
    /// steps between would put and delete the same rows. Counts move once per status.
    public func apply(_ changes: [TicketChange], to store: StoreWriter) throws {
        // Each ticket's first and last change, in the order tickets first appear.
        var slots: [TicketID: Int] = [:]
        slots.reserveCapacity(changes.count)
        var firstAndLast: [(first: TicketChange, last: TicketChange)] = []
        firstAndLast.reserveCapacity(changes.count)
        for change in changes {
            if let slot = slots[change.afterState.ticket.id] {
                firstAndLast[slot].last = change
            } else {
                slots[change.afterState.ticket.id] = firstAndLast.count
                firstAndLast.append((change, change))
            }
        }
        var deltas: [CountSlot: Int64] = [:]
        for (first, last) in firstAndLast {
            try move(from: first.beforeState, to: last.afterState, counts: &deltas, store)
        }
        for (slot, delta) in deltas where delta != 0 { try adjust(Self.countKey(slot.department, slot.status), by: delta, store) }
    }

    /// Moves a ticket's rows from where `old` had them to where `new` has them, and records the
    /// change in counts.
    private func move(from old: TicketState?, to new: TicketState, counts deltas: inout [CountSlot: Int64], _ store: StoreWriter) throws {
        let oldKey = old.flatMap(Self.key)
        let newKey = Self.key(new)
        // Most events leave a ticket where it stands in its queue: only its value changes.
        if let oldKey, oldKey != newKey { try store.delete("queue", oldKey) }
        // Only the filter rows whose value or position changed move.
        for kind in Self.changedFilterKinds(old, oldKey, new, newKey) {
            let oldFilter = old.flatMap { old in oldKey.flatMap { Self.filterKey(kind, old, queueKey: $0) } }
            let newFilter = newKey.flatMap { Self.filterKey(kind, new, queueKey: $0) }
            guard oldFilter != newFilter else { continue }
            if let oldFilter { try store.delete("filters", oldFilter) }
            if let newFilter { try store.put("filters", newFilter, []) }
        }
        if old?.ticket.status != new.ticket.status || old?.ticket.department != new.ticket.department {
            if let old, old.ticket.status.isOpen, let department = old.ticket.department {
                deltas[CountSlot(department: department, status: old.ticket.status), default: 0] -= 1
            }
            if new.ticket.status.isOpen, let department = new.ticket.department {
                deltas[CountSlot(department: department, status: new.ticket.status), default: 0] += 1
            }
        }
        if let newKey { try store.put("queue", newKey, Self.value(QueueItem(new))) }
    }

    /// A queue value: a filter header (`status`, 0x1F, `category`, 0x1F, `district`, 0x1E) that
    /// filters read without decoding, then the item in binary.
    static func value(_ item: QueueItem) throws -> [UInt8] {
        var out = ByteWriter()
        out.bytes.reserveCapacity(160)
        out.bytes.append(contentsOf: item.status.rawValue.utf8)
        out.byte(0x1F)
        out.bytes.append(contentsOf: (item.category?.rawValue ?? "").utf8)
        out.byte(0x1F)
        out.bytes.append(contentsOf: item.district.utf8)
        out.byte(0x1E)
        item.write(into: &out)
        return out.bytes
    }

    /// Splits a queue value into its filter header fields and the item's binary form.
    static func split(_ value: [UInt8]) -> (status: Substring, category: Substring, district: Substring, item: ArraySlice<UInt8>)? {
        guard let end = value.firstIndex(of: 0x1E) else { return nil }
        let header = String(decoding: value[..<end], as: UTF8.self).split(separator: "\u{1F}", omittingEmptySubsequences: false)
        guard header.count == 3 else { return nil }
        return (header[0], header[1], header[2], value[(end + 1)...])
    }

    private func adjust(_ key: [UInt8], by delta: Int64, _ store: StoreWriter) throws {
        let current = Int64(ProjectionCodec.uint64(try store.get("counts", key)) ?? 0) + delta
        if current <= 0 {
            try store.delete("counts", key)
        } else {
            try store.put("counts", key, ProjectionCodec.bigEndian(UInt64(current)))
        }
    }
}

/// One line of a department's queue.
public struct QueueItem: Codable, Sendable, Equatable {
    public let ticket: TicketID
    public let status: Ticket.Status
    public let category: CategoryID?
    public let district: String
    public let neighbourhood: String?
    public let priority: Int?
    public let dueAt: Date?
    public let receivedAt: Date
    public let assignee: String?
    public let reopenCount: Int
    public let escalated: Bool

    init(_ state: TicketState) {
        ticket = state.ticket.id
        status = state.ticket.status
        category = state.ticket.category
        district = state.ticket.location.district
        neighbourhood = state.ticket.location.neighbourhood
        priority = state.ticket.priority
        dueAt = state.ticket.dueAt
        receivedAt = state.ticket.receivedAt
        assignee = state.ticket.assignee
        reopenCount = state.ticket.reopenCount
        escalated = state.ticket.dueAt.map { state.ticket.escalatedDeadlines.contains($0) } ?? false
    }

    /// Whether the deadline has passed at `now`.
    public func isOverdue(at now: Date) -> Bool { dueAt.map { $0 < now } ?? false }

    static let format: UInt8 = 1

    /// Writes the item's compact binary form, as queue values carry it.
    func write(into out: inout ByteWriter) {
        out.byte(Self.format)
        out.string(ticket.rawValue)
        out.string(status.rawValue)
        out.optional(category) { $0.string($1.rawValue) }
        out.string(district)
        out.optional(neighbourhood) { $0.string($1) }
        out.optional(priority) { $0.int(Int64($1)) }
        out.optional(dueAt) { $0.time($1) }
        out.time(receivedAt)
        out.optional(assignee) { $0.string($1) }
        out.int(Int64(reopenCount))
        out.byte(escalated ? 1 : 0)
    }

    /// Reads an item written by `binary`.
    init(binary: ArraySlice<UInt8>) throws {
        var input = ByteReader(Array(binary))
        func damaged() -> StorageError {
            StorageError(.corrupted, "a queue entry is damaged; rebuild with `defter replay --projection queues`")
        }
        do {
            guard try input.byte() == Self.format else { throw damaged() }
            ticket = try TicketID(try input.string())
            guard let status = Ticket.Status(rawValue: try input.string()) else { throw damaged() }
            self.status = status
            category = try input.optional { CategoryID(unchecked: try $0.string()) }
            district = try input.string()
            neighbourhood = try input.optional { try $0.string() }
            priority = try input.optional { Int(try $0.int()) }
            dueAt = try input.optional { try $0.time() }
            receivedAt = try input.time()
            assignee = try input.optional { try $0.string() }
            reopenCount = Int(try input.int())
            escalated = try input.byte() == 1
            guard input.isAtEnd else { throw damaged() }
        } catch let error as StorageError {
            throw error
        } catch {
            throw damaged()
        }
    }
}

/// What to show of a queue.
public struct QueueFilter: Sendable {
    public var status: Ticket.Status?
    public var category: CategoryID?
    public var district: String?
    /// Only tickets past their deadline at this moment.
    public var overdueAt: Date?
    /// Only tickets assigned to this person.
    public var assignee: String?
    /// Only tickets assigned to nobody.
    public var unassigned = false
    public var offset = 0
    public var limit = 50

    /// Whether the filter looks inside items, not only at the indexed status, category and district.
    var readsItems: Bool { overdueAt != nil || assignee != nil || unassigned }

    /// Whether `item` passes the filters that look inside items.
    func admits(_ item: QueueItem) -> Bool {
        if let overdueAt, !item.isOverdue(at: overdueAt) { return false }
        if let assignee, item.assignee != assignee { return false }
        if unassigned, item.assignee != nil { return false }
        return true
    }

    public init(status: Ticket.Status? = nil, category: CategoryID? = nil, district: String? = nil, offset: Int = 0, limit: Int = 50) {
        self.status = status
        self.category = category
        self.district = district
        self.offset = offset
        self.limit = limit
    }
}

/// A page of a department's queue with its counts.
public struct QueuePage: Sendable {
    public let department: DepartmentID
    public let items: [QueueItem]
    /// How many tickets matched the filter in all.
    public let matching: Int
    /// Open tickets by status, for the whole queue.
    public let counts: [Ticket.Status: Int]
}

extension ProjectionWorker {
    /// Reads a department's queue from a `queues` projection, in queue order.
    public func queue(_ department: DepartmentID, filter: QueueFilter = QueueFilter()) throws -> QueuePage {
        try store.read { reader in
            let prefix = Array(department.rawValue.utf8) + [0]
            var items: [QueueItem] = []
            var matching = 0
            let unfiltered = filter.status == nil && filter.category == nil && filter.district == nil
            var counts: [Ticket.Status: Int] = [:]
            try reader.scan("counts", from: prefix) { key, value in
                guard key.starts(with: prefix) else { return false }
                if let status = Ticket.Status(rawValue: String(decoding: key.dropFirst(prefix.count), as: UTF8.self)) {
                    counts[status] = Int(ProjectionCodec.uint64(value) ?? 0)
                }
                return true
            }
            if unfiltered && filter.readsItems {
                // Overdue or assignee alone: every item of the queue is read.
                try reader.scan("queue", from: prefix) { key, value in
                    guard key.starts(with: prefix) else { return false }
                    let item = try QueueProjection.item(value, department)
                    guard filter.admits(item) else { return true }
                    if matching >= filter.offset && items.count < filter.limit { items.append(item) }
                    matching += 1
                    return true
                }
                return QueuePage(department: department, items: items, matching: matching, counts: counts)
            }
            if unfiltered {
                // No filter: decode only the requested page and stop after it; the total comes
                // from the counts.
                try reader.scan("queue", from: prefix) { key, value in
                    guard key.starts(with: prefix) else { return false }
                    if matching >= filter.offset { items.append(try QueueProjection.item(value, department)) }
                    matching += 1
                    return items.count < filter.limit
                }
                matching = counts.values.reduce(0, +)
                return QueuePage(department: department, items: items, matching: matching, counts: counts)
            }
            // A filter reads one index range (status, else category, else district) in queue
            // order, and checks any other filter on the item's header.
            let (kind, value): (QueueProjection.FilterKind, String) =
                if let status = filter.status { (.status, status.rawValue) } else if let category = filter.category {
                    (.category, category.rawValue)
                } else { (.district, filter.district!) }
            let onlyStatus = filter.category == nil && filter.district == nil && !filter.readsItems
            let range = QueueProjection.filterPrefix(department, kind, value)
            try reader.scan("filters", from: range) { key, _ in
                guard key.starts(with: range) else { return false }
                let queueKey = prefix + key.dropFirst(range.count)
                guard let value = try reader.get("queue", queueKey), let parts = QueueProjection.split(value) else {
                    throw StorageError(.corrupted, "the queue index of \(department) is damaged; run `defter replay --projection queues`")
                }
                if let status = filter.status, parts.status != status.rawValue { return true }
                if let category = filter.category, parts.category != category.rawValue { return true }
                if let district = filter.district, parts.district != district { return true }
                if filter.readsItems {
                    let item = try QueueItem(binary: parts.item)
                    guard filter.admits(item) else { return true }
                    if matching >= filter.offset && items.count < filter.limit { items.append(item) }
                } else if matching >= filter.offset && items.count < filter.limit {
                    items.append(try QueueItem(binary: parts.item))
                }
                matching += 1
                // With the status alone, the counts give the total: stop after the page.
                return !(onlyStatus && items.count >= filter.limit)
            }
            if onlyStatus, let status = filter.status { matching = counts[status] ?? 0 }
            return QueuePage(department: department, items: items, matching: matching, counts: counts)
        }
    }
}

extension QueueProjection {
    /// The item of a queue value.
    static func item(_ value: [UInt8], _ department: DepartmentID) throws -> QueueItem {
        guard let parts = split(value) else {
            throw StorageError(.corrupted, "a queue entry of \(department) is damaged; run `defter replay --projection queues`")
        }
        return try QueueItem(binary: parts.item)
    }
}
