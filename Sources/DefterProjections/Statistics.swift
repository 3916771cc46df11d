import DefterDomain
import DefterLog
import Foundation

/// How to group statistics.
public enum StatisticsDimension: String, Sendable, CaseIterable {
    case department, category, district, channel, day, month, hour, status

    func key(_ fact: TicketFact) -> String {
        switch self {
        case .department: fact.department?.rawValue ?? (fact.informationOnly ? "(information)" : "(triage)")
        case .category: fact.category?.rawValue ?? (fact.informationOnly ? "(information)" : "(none)")
        case .district: fact.district
        case .channel: fact.channel.rawValue
        case .day: fact.day
        case .month: String(fact.day.prefix(7))
        case .hour: fact.hour < 10 ? "0\(fact.hour)" : "\(fact.hour)"
        case .status: fact.status.rawValue
        }
    }
}

/// The accountability figures of a group of calls.
public struct StatisticsRow: Sendable, Equatable {
    public let key: String
    public var calls = 0
    /// Calls that are records imported from the system used before, not calls this log witnessed.
    public var imported = 0
    public var opened = 0
    public var resolved = 0
    public var closedAtFirstContact = 0
    public var cancelled = 0
    public var merged = 0
    public var triaged = 0
    public var resolvedWithinStandard = 0
    public var withStandard = 0
    public var reopened = 0
    public var referrals = 0
    public var overrides = 0
    public var escalated = 0
    public var satisfactionSum = 0
    public var satisfactionCount = 0
    /// Exact durations (times in the log are whole milliseconds), so percentiles are exact too.
    public var millisecondsToAcknowledge: [Int64] = []
    public var millisecondsToResolve: [Int64] = []

    public var acknowledgeMedianMilliseconds: Int64? { Self.percentile(millisecondsToAcknowledge, 0.5) }
    public var acknowledgeP90Milliseconds: Int64? { Self.percentile(millisecondsToAcknowledge, 0.9) }
    public var resolveMedianMilliseconds: Int64? { Self.percentile(millisecondsToResolve, 0.5) }
    public var resolveP90Milliseconds: Int64? { Self.percentile(millisecondsToResolve, 0.9) }
    public var acknowledgeMedianHours: Double? { acknowledgeMedianMilliseconds.map(Self.hours) }
    public var acknowledgeP90Hours: Double? { acknowledgeP90Milliseconds.map(Self.hours) }
    public var resolveMedianHours: Double? { resolveMedianMilliseconds.map(Self.hours) }
    public var resolveP90Hours: Double? { resolveP90Milliseconds.map(Self.hours) }

    static func hours(_ milliseconds: Int64) -> Double { Double(milliseconds) / 3_600_000 }
    /// Share of resolved tickets resolved within their standard.
    public var slaMetShare: Double? { withStandard == 0 ? nil : Double(resolvedWithinStandard) / Double(withStandard) }
    /// Share of opened tickets reopened at least once.
    public var reopenRate: Double? { opened == 0 ? nil : Double(reopened) / Double(opened) }
    public var satisfactionAverage: Double? { satisfactionCount == 0 ? nil : Double(satisfactionSum) / Double(satisfactionCount) }

    /// The nearest-rank percentile (the same rule an independent checker can apply).
    /// rank = ceil(p x n), at least 1, over the ascending values.
    static func percentile(_ values: [Int64], _ p: Double) -> Int64? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        // p x n in integer arithmetic (p in thousandths), so 0.9 x 10 is exactly 9, not 9.000000000000002.
        let thousandths = Int((p * 1000).rounded())
        let rank = max(1, (thousandths * sorted.count + 999) / 1000)
        return sorted[rank - 1]
    }

    mutating func add(_ fact: TicketFact) {
        calls += 1
        if fact.imported { imported += 1 }
        if fact.opened { opened += 1 }
        if fact.informationOnly { closedAtFirstContact += 1 }
        if fact.firstResolvedAt != nil { resolved += 1 }
        if fact.status == .cancelled { cancelled += 1 }
        if fact.status == .merged { merged += 1 }
        if fact.triaged { triaged += 1 }
        if let met = fact.slaMet {
            withStandard += 1
            if met { resolvedWithinStandard += 1 }
        }
        if fact.reopenCount > 0 { reopened += 1 }
        referrals += fact.referralCount
        overrides += fact.overrideCount
        if fact.escalations > 0 { escalated += 1 }
        if let satisfaction = fact.satisfaction {
            satisfactionSum += satisfaction
            satisfactionCount += 1
        }
        if let milliseconds = fact.millisecondsToAcknowledge { millisecondsToAcknowledge.append(milliseconds) }
        if let milliseconds = fact.millisecondsToResolve { millisecondsToResolve.append(milliseconds) }
    }
}

/// Statistics of calls received in a period (days in Europe/Istanbul, inclusive).
public struct StatisticsReport: Sendable {
    public let from: String?
    public let to: String?
    public let dimension: StatisticsDimension?
    public let total: StatisticsRow
    public let rows: [StatisticsRow]
    /// Open tickets at the end of each day of the period (calls of any earlier day count).
    public let backlog: [(day: String, open: Int)]

    /// The figures of `facts` in all, and grouped by `dimension` (sorted by key), without the
    /// backlog sweep: what a report with several groupings needs.
    public static func rows(of facts: [TicketFact], by dimension: StatisticsDimension?) -> (total: StatisticsRow, rows: [StatisticsRow]) {
        var total = StatisticsRow(key: "total")
        var groups: [String: StatisticsRow] = [:]
        for fact in facts {
            total.add(fact)
            if let dimension {
                let key = dimension.key(fact)
                groups[key, default: StatisticsRow(key: key)].add(fact)
            }
        }
        return (total, groups.values.sorted { $0.key < $1.key })
    }

    /// Computes the report from facts.
    public init(facts: [TicketFact], from: String?, to: String?, by dimension: StatisticsDimension?) {
        self.from = from
        self.to = to
        self.dimension = dimension
        let inPeriod = facts.filter { fact in (from.map { fact.day >= $0 } ?? true) && (to.map { fact.day <= $0 } ?? true) }
        (total, rows) = Self.rows(of: inPeriod, by: dimension)
        backlog = Self.backlog(facts: facts.filter(\.opened), days: Set(inPeriod.map(\.day)).sorted())
    }

    private static func backlog(facts: [TicketFact], days: [String]) -> [(day: String, open: Int)] {
        guard !days.isEmpty else { return [] }
        // Each ticket is open from its call's day until the day it ended: count the days between.
        var opens: [String: Int] = [:]
        var closes: [String: Int] = [:]
        for fact in facts {
            opens[fact.day, default: 0] += 1
            if let ended = fact.endedAt { closes[Self.day(of: ended), default: 0] += 1 }
        }
        let changeDays = Set(opens.keys).union(closes.keys).sorted()
        var result: [(String, Int)] = []
        var open = 0
        var index = 0
        for day in days {
            while index < changeDays.count && changeDays[index] <= day {
                open += (opens[changeDays[index]] ?? 0) - (closes[changeDays[index]] ?? 0)
                index += 1
            }
            result.append((day, open))
        }
        return result
    }

    static func day(of date: Date) -> String { IstanbulDate(date).dayText }
}

extension ProjectionWorker {
    /// Every fact of a `stats` projection with the checkpoint they are at, read in one
    /// transaction (the service's projections keep moving).
    public func factsWithCheckpoint() throws -> (checkpoint: UInt64, facts: [TicketFact]) {
        try store.read { reader in (try Self.storedCheckpoint(reader), try Self.facts(reader)) }
    }

    /// Every fact of a `stats` projection.
    public func facts() throws -> [TicketFact] {
        try store.read { reader in try Self.facts(reader) }
    }

    private static func facts(_ reader: StoreReader) throws -> [TicketFact] {
        var facts: [TicketFact] = []
        try reader.scan("facts") { _, value in
            facts.append(try TicketFact(binary: value))
            return true
        }
        return facts
    }
}
