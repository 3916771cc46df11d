public import DefterDomain
public import DefterLog
public import Foundation

/// Every department's open tickets, ordered by priority, then service-standard deadline, then
/// age, with counts by status. The triage queue (tickets the router was not sure of) is a queue
/// like any other, under the department id `triage`.
public struct QueueProjection: TicketProjection {
    public let name = "queues"
    /// 2: queue values carry a filter header before the item's JSON.
    public let version = 2
    public let databases = ["queue", "position", "counts"]

    public init() {}

    /// The queue key: department, 0x00, priority, deadline (ms), received (ms), ticket.
    static func key(_ ticket: Ticket) -> [UInt8]? {
        guard ticket.status.isOpen, let department = ticket.department else { return nil }
        var key = Array(department.rawValue.utf8) + [0, UInt8(ticket.priority ?? 9)]
        key += ProjectionCodec.bigEndian(ProjectionCodec.milliseconds(ticket.dueAt))
        key += ProjectionCodec.bigEndian(ProjectionCodec.milliseconds(ticket.receivedAt))
        key += Array(ticket.id.rawValue.utf8)
        return key
    }

    static func countKey(_ department: DepartmentID, _ status: Ticket.Status) -> [UInt8] {
        Array(department.rawValue.utf8) + [0] + Array(status.rawValue.utf8)
    }

    public func apply(_ change: TicketChange, to store: StoreWriter) throws {
        let id = Array(change.after.id.rawValue.utf8)
        let oldKey = change.before.flatMap(Self.key)
        let newKey = Self.key(change.after)
        if let oldKey, oldKey != newKey {
            try store.delete("queue", oldKey)
            try store.delete("position", id)
        }
        if let before = change.before, before.status.isOpen, let department = before.department {
            try adjust(Self.countKey(department, before.status), by: -1, store)
        }
        if change.after.status.isOpen, let department = change.after.department {
            try adjust(Self.countKey(department, change.after.status), by: 1, store)
        }
        if let newKey {
            try store.put("queue", newKey, Self.value(QueueItem(change.after)))
            try store.put("position", id, newKey)
        }
    }

    /// A queue value: a filter header (`status`, 0x1F, `category`, 0x1F, `district`, 0x1E) that
    /// filters read without decoding, then the item's JSON.
    static func value(_ item: QueueItem) throws -> [UInt8] {
        var bytes = Array(item.status.rawValue.utf8) + [0x1F] + Array((item.category?.rawValue ?? "").utf8) + [0x1F]
        bytes += Array(item.district.utf8) + [0x1E]
        return bytes + Array(try ProjectionCodec.encoder.encode(item))
    }

    /// Splits a queue value into its filter header fields and the item's JSON.
    static func split(_ value: [UInt8]) -> (status: Substring, category: Substring, district: Substring, json: ArraySlice<UInt8>)? {
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

    init(_ ticket: Ticket) {
        self.ticket = ticket.id
        status = ticket.status
        category = ticket.category
        district = ticket.location.district
        neighbourhood = ticket.location.neighbourhood
        priority = ticket.priority
        dueAt = ticket.dueAt
        receivedAt = ticket.receivedAt
        assignee = ticket.assignee
        reopenCount = ticket.reopenCount
        escalated = ticket.dueAt.map { ticket.escalatedDeadlines.contains($0) } ?? false
    }

    /// Whether the deadline has passed at `now`.
    public func isOverdue(at now: Date) -> Bool { dueAt.map { $0 < now } ?? false }
}

/// What to show of a queue.
public struct QueueFilter: Sendable {
    public var status: Ticket.Status?
    public var category: CategoryID?
    public var district: String?
    public var offset = 0
    public var limit = 50

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
            try reader.scan("queue", from: prefix) { key, value in
                guard key.starts(with: prefix) else { return false }
                guard let parts = QueueProjection.split(value) else {
                    throw StorageError(.corrupted, "a queue entry of \(department) is damaged; run `defter replay --projection queues`")
                }
                if unfiltered {
                    // No filter: decode only the requested page and stop after it; the total
                    // comes from the counts.
                    if matching >= filter.offset {
                        items.append(try ProjectionCodec.decoder.decode(QueueItem.self, from: Data(parts.json)))
                    }
                    matching += 1
                    return items.count < filter.limit
                }
                // Filters read the header; only the page's items are decoded.
                if let status = filter.status, parts.status != status.rawValue { return true }
                if let category = filter.category, parts.category != category.rawValue { return true }
                if let district = filter.district, parts.district != district { return true }
                if matching >= filter.offset && items.count < filter.limit {
                    items.append(try ProjectionCodec.decoder.decode(QueueItem.self, from: Data(parts.json)))
                }
                matching += 1
                return true
            }
            if unfiltered { matching = counts.values.reduce(0, +) }
            return QueuePage(department: department, items: items, matching: matching, counts: counts)
        }
    }
}
