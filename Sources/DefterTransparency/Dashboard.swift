import DefterDomain
public import DefterLog
public import DefterProjections
import Foundation

/// What the public dashboard shows for one period: the period's accountability report, exactly as
/// `defter report` computes it, plus rankings of departments and districts by the share of tickets
/// resolved within the service standard. Rankings leave out groups with fewer than
/// `minimumTicketsToRank` tickets in the period (a share of a handful says little) and name them.
public struct Dashboard: Sendable {
    /// Groups with fewer tickets opened than this are not ranked.
    public static let minimumTicketsToRank = 30

    /// The report the figures come from: one computation for the dashboard and `defter report`.
    public let report: AccountabilityReport

    /// The dashboard of `report`.
    public init(report: AccountabilityReport) {
        self.report = report
    }

    /// One place in a ranking.
    public struct Place: Sendable, Equatable {
        /// The department id or district name.
        public let key: String
        /// The name a reader knows it by.
        public let name: String
        /// Tickets opened in the period.
        public let tickets: Int
        /// Resolved within the standard, of resolved tickets that had one; nil when none had.
        public let shareWithinStandard: Double?
        /// The median time to resolve, in milliseconds; nil when nothing was resolved.
        public let resolveMedianMilliseconds: Int64?
    }

    /// A ranking, best share first, and who was left out for having too few tickets.
    public struct Ranking: Sendable, Equatable {
        public let places: [Place]
        public let leftOut: [Place]
    }

    /// Departments ranked by the share resolved within the standard.
    public func departments(language: ReportLanguage) -> Ranking {
        let text = ReportText(language)
        return Self.rank(report.byDepartment) { text.name(department: $0, catalog: report.catalog) }
    }

    /// Districts ranked by the share resolved within the standard.
    public var districts: Ranking { Self.rank(report.byDistrict) { $0 } }

    /// Ranks rows: those with enough tickets by share (then by median time, then by name), the
    /// others listed apart, by name.
    static func rank(_ rows: [StatisticsRow], name: (String) -> String) -> Ranking {
        // "(information)" and "(triage)" group calls no department has: nothing to rank.
        let places = rows.filter { !$0.key.hasPrefix("(") }.map { row in
            Place(
                key: row.key, name: name(row.key), tickets: row.opened,
                shareWithinStandard: row.withStandard == 0 ? nil : Double(row.resolvedWithinStandard) / Double(row.withStandard),
                resolveMedianMilliseconds: row.resolveMedianMilliseconds)
        }
        let ranked = places.filter { $0.tickets >= minimumTicketsToRank }.sorted { a, b in
            let shareA = a.shareWithinStandard ?? -1
            let shareB = b.shareWithinStandard ?? -1
            if shareA != shareB { return shareA > shareB }
            let medianA = a.resolveMedianMilliseconds ?? .max
            let medianB = b.resolveMedianMilliseconds ?? .max
            if medianA != medianB { return medianA < medianB }
            return a.key < b.key
        }
        let leftOut = places.filter { $0.tickets < minimumTicketsToRank }.sorted { $0.key < $1.key }
        return Ranking(places: ranked, leftOut: leftOut)
    }

    /// The dashboard as JSON `defter-dashboard/1`: the report's own JSON under `report` (so its
    /// figures are byte for byte those of `defter report --format json`) and the rankings.
    public func json(language: ReportLanguage) -> JSONValue {
        func placeJSON(_ place: Place) -> JSONValue {
            [
                "key": .string(place.key), "name": .string(place.name), "ticketsOpened": .integer(Int64(place.tickets)),
                "shareWithinStandard": place.shareWithinStandard.map { .number(($0 * 10000).rounded() / 10000) } ?? .null,
                "resolveMedianMs": place.resolveMedianMilliseconds.map { .integer($0) } ?? .null,
            ]
        }
        func rankingJSON(_ ranking: Ranking) -> JSONValue {
            ["ranked": .array(ranking.places.map(placeJSON)), "leftOut": .array(ranking.leftOut.map(placeJSON))]
        }
        return [
            "format": "defter-dashboard/1",
            "minimumTicketsToRank": .integer(Int64(Self.minimumTicketsToRank)),
            "report": report.json(language: language),
            "departments": rankingJSON(departments(language: language)),
            "districts": rankingJSON(districts),
        ]
    }
}

/// The periods a dashboard offers, from the days the log's calls fall on.
public struct DashboardPeriods: Sendable, Equatable {
    /// The year of the newest call (`2025`): the dashboard's "this year".
    public let currentYear: String?
    /// The month of the newest call (`2025-12`): the dashboard's "this month".
    public let currentMonth: String?
    /// Every year and month with calls, newest first: the published reports of past periods.
    public let years: [String]
    public let months: [String]
    /// The first and last day with calls.
    public let firstDay: String?
    public let lastDay: String?

    /// The periods of `facts`.
    public init(facts: [TicketFact]) {
        self.init(days: facts.map(\.day))
    }

    /// The periods of calls on `days` (in any order, repeated or not).
    public init(days: some Sequence<String>) {
        let sorted = Set(days).sorted()
        firstDay = sorted.first
        lastDay = sorted.last
        currentYear = lastDay.map { String($0.prefix(4)) }
        currentMonth = lastDay.map { String($0.prefix(7)) }
        years = Set(sorted.map { String($0.prefix(4)) }).sorted(by: >)
        months = Set(sorted.map { String($0.prefix(7)) }).sorted(by: >)
    }

    /// As JSON.
    public var json: JSONValue {
        [
            "currentYear": currentYear.map { .string($0) } ?? .null, "currentMonth": currentMonth.map { .string($0) } ?? .null,
            "years": .array(years.map { .string($0) }), "months": .array(months.map { .string($0) }),
            "firstDay": firstDay.map { .string($0) } ?? .null, "lastDay": lastDay.map { .string($0) } ?? .null,
        ]
    }
}
