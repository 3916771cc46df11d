import DefterLog
import DefterProjections
import DefterTickets
import Foundation
import Testing

@testable import DefterDomain
@testable import DefterTransparency

@Suite struct DashboardTests {
    func dashboard(_ city: SeededCity, _ period: String) async throws -> Dashboard {
        try city.projections.catchUp()
        let report = AccountabilityReport(
            facts: try city.projections.stats.facts(), period: try ReportPeriod(parsing: period),
            checkpoint: try await city.log.checkpoint(), catalog: try BundledCatalog.load())
        return Dashboard(report: report)
    }

    @Test("rankings hold only groups with at least 30 tickets, best share first, and name the others")
    func rankings() async throws {
        try await withSeededCity(calls: 600) { city in
            // A month of 600 calls a year: some departments and districts have fewer than 30 tickets.
            let dashboard = try await dashboard(city, "2025-03")
            for ranking in [dashboard.departments(language: .tr), dashboard.districts] {
                #expect(ranking.places.allSatisfy { $0.tickets >= Dashboard.minimumTicketsToRank })
                #expect(ranking.leftOut.allSatisfy { $0.tickets < Dashboard.minimumTicketsToRank })
                let shares = ranking.places.map { $0.shareWithinStandard ?? -1 }
                #expect(shares == shares.sorted(by: >))
                #expect(!(ranking.places + ranking.leftOut).contains { $0.key.hasPrefix("(") })
            }
            let districts = dashboard.districts
            #expect(!districts.leftOut.isEmpty, "600 calls a year leave small districts with under 30 tickets in a month")
            #expect(Set((districts.places + districts.leftOut).map(\.key)).count == dashboard.report.byDistrict.count)
        }
    }

    @Test("the dashboard's JSON holds the report's own JSON, unchanged")
    func oneComputation() async throws {
        try await withSeededCity(calls: 300) { city in
            let dashboard = try await dashboard(city, "2025")
            let json = dashboard.json(language: .en)
            #expect(json["report"] == dashboard.report.json(language: .en))
            #expect(json["minimumTicketsToRank"] == 30)
        }
    }

    @Test("this year and this month are those of the newest call; every year and month is listed, newest first")
    func periods() async throws {
        try await withSeededCity(calls: 300) { city in
            try city.projections.catchUp()
            let periods = DashboardPeriods(facts: try city.projections.stats.facts())
            #expect(periods.currentYear == "2025")
            #expect(periods.currentMonth == "2025-12")
            #expect(periods.years == ["2025"])
            #expect(periods.months.first == "2025-12")
            #expect(periods.months.last == "2025-01")
            #expect(periods.months.count == 12)
        }
    }
}
