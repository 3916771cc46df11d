import DefterDomain
import DefterLog
import DefterProjections
import DefterTickets
import Foundation
import Testing

@testable import DefterTransparency

@Suite struct ReportPeriodTests {
    @Test("a year, a month and a range of days are periods; everything else is refused with how to write it")
    func parsing() throws {
        let year = try ReportPeriod(parsing: "2025")
        #expect((year.from, year.to) == ("2025-01-01", "2025-12-31"))
        let february = try ReportPeriod(parsing: "2024-02")
        #expect((february.from, february.to) == ("2024-02-01", "2024-02-29"))
        let range = try ReportPeriod(parsing: "2025-01-01..2025-06-30")
        #expect((range.from, range.to, range.label) == ("2025-01-01", "2025-06-30", "2025-01-01..2025-06-30"))
        #expect(range.contains(day: "2025-06-30") && !range.contains(day: "2025-07-01"))
        for bad in ["", "25", "2025-13", "2025-02-30..2025-03-01", "2025-06-30..2025-01-01", "2025/03", "yesterday"] {
            #expect(throws: ReportPeriodError.self, "\(bad)") { try ReportPeriod(parsing: bad) }
        }
    }
}

@Suite struct AccountabilityReportTests {
    /// The report of `period` at a fresh checkpoint.
    func report(_ city: SeededCity, _ period: String) async throws -> AccountabilityReport {
        try city.projections.catchUp()
        let checkpoint = try await city.log.checkpoint()
        return AccountabilityReport(
            facts: try city.projections.stats.facts(), period: try ReportPeriod(parsing: period), checkpoint: checkpoint,
            catalog: try BundledCatalog.load())
    }

    @Test("headline figures equal those computed independently from the raw events, as report-format.md defines them")
    func figuresMatchTheEvents() async throws {
        try await withSeededCity(calls: 1500) { city in
            let report = try await report(city, "2025-03")
            let expected = try IndependentFigures(log: city.log, from: "2025-03-01", to: "2025-03-31")
            let headline = report.json(language: .en)["headline"]!
            #expect(expected.calls > 50, "the month has calls to count")
            #expect(headline["calls"] == .integer(expected.calls))
            #expect(headline["ticketsOpened"] == .integer(expected.opened))
            #expect(headline["closedAtFirstContact"] == .integer(expected.firstContact))
            #expect(headline["resolved"] == .integer(expected.resolved))
            #expect(headline["withStandard"] == .integer(expected.withStandard))
            #expect(headline["resolvedWithinStandard"] == .integer(expected.withinStandard))
            #expect(headline["resolveMedianMs"] == expected.percentile(0.5))
            #expect(headline["resolveP90Ms"] == expected.percentile(0.9))
        }
    }

    @Test("the same facts and checkpoint give the same bytes in every format and language")
    func deterministic() async throws {
        try await withSeededCity(calls: 400) { city in
            let first = try await report(city, "2025")
            let again = AccountabilityReport(
                facts: try city.projections.stats.facts().reversed(), period: first.period, checkpoint: first.checkpoint,
                catalog: first.catalog)
            for format in ReportFormat.allCases {
                for language in ReportLanguage.allCases {
                    #expect(
                        first.rendered(as: format, language: language) == again.rendered(as: format, language: language),
                        "\(format) \(language)")
                }
            }
        }
    }

    @Test("the HTML report is self-contained: inline SVG, no script but its JSON data, the checkpoint and how to verify")
    func htmlIsSelfContained() async throws {
        try await withSeededCity(calls: 300) { city in
            let report = try await report(city, "2025")
            for language in ReportLanguage.allCases {
                let html = String(decoding: report.rendered(as: .html, language: language), as: UTF8.self)
                #expect(html.contains("<html lang=\"\(language.rawValue)\">"))
                #expect(html.components(separatedBy: "<svg").count - 1 == 4)
                #expect(html.components(separatedBy: "<script").count - 1 == 1)
                #expect(html.contains(#"<script type="application/json" id="defter-report">"#))
                #expect(!html.contains("src=") && !html.contains("href=") && !html.contains("@import"))
                #expect(html.contains(HTML.escape(report.checkpoint.checkpoint.root.base64)))
                #expect(html.contains("tools/verify_report.py"))
                let embedded = html.components(separatedBy: #"id="defter-report">"#)[1].components(separatedBy: "</script>")[0]
                #expect(
                    try JSONValue(parsing: Array(embedded.replacingOccurrences(of: "<\\/", with: "</").utf8))
                        == report.json(language: language))
            }
            let turkish = String(decoding: report.rendered(as: .html, language: .tr), as: UTF8.self)
            #expect(turkish.contains("Yanıtlanan çağrı") && turkish.contains("Bu rapor nasıl doğrulanır"))
            #expect(turkish.contains(ReportText(.tr).count(report.total.calls)))
        }
    }

    @Test("the report carries no personal data")
    func noPersonalData() async throws {
        try await withSeededCity(calls: 200) { city in
            let report = try await report(city, "2025")
            let sealed = try city.log.entries(from: 1, limit: 100_000).filter { $0.type == "CallReceived" }.map {
                try $0.data()["personalData"]!["sealed"]!.stringValue!
            }
            for format in ReportFormat.allCases {
                let text = String(decoding: report.rendered(as: format, language: .en), as: UTF8.self)
                #expect(!text.contains("personalData") && !text.contains("citizen"))
                #expect(!sealed.contains { text.contains($0) })
            }
        }
    }

    @Test("a period without calls says so: none received, or beyond the log's end")
    func emptyPeriods() async throws {
        try await withSeededCity(calls: 100) { city in
            let beyond = try await report(city, "2026-01")
            #expect(beyond.emptyReason == .beyondLog(lastCallDay: "2025-12-31"))
            #expect(beyond.total.calls == 0)
            let json = beyond.json(language: .en)
            #expect(json["empty"] == .bool(true))
            #expect(json["emptyReason"]?.stringValue?.contains("after the last call") == true)
            #expect(json["headline"]?["resolveMedianMs"] == .null)
            let before = try await report(city, "2024")
            #expect(before.emptyReason == .noCalls)
            let html = String(decoding: before.rendered(as: .html, language: .en), as: UTF8.self)
            #expect(html.contains("No call was received in 2024"))
        }
    }

    @Test("numbers are written the same on every machine, in each language's convention")
    func numberFormats() {
        let en = ReportText(.en)
        let tr = ReportText(.tr)
        #expect(en.count(148_910) == "148,910" && tr.count(148_910) == "148.910")
        #expect(en.count(0) == "0" && en.count(999) == "999" && en.count(1000) == "1,000")
        #expect(en.percent(1, of: 3) == "33.3%" && tr.percent(1, of: 3) == "%33,3")
        #expect(en.percent(1, of: 0) == "–")
        #expect(en.hours(5_400_000) == "1.5 h" && tr.hours(5_400_000) == "1,5 sa")
        #expect(en.decimal(1234.56, places: 1) == "1,234.6" && tr.decimal(1234.56, places: 1) == "1.234,6")
    }
}

/// The headline figures of `Schemas/report-format.md`, computed straight from the log's events
/// (not through the statistics projection), as an outside checker would.
struct IndependentFigures {
    var calls: Int64 = 0
    var opened: Int64 = 0
    var firstContact: Int64 = 0
    var resolved: Int64 = 0
    var withStandard: Int64 = 0
    var withinStandard: Int64 = 0
    var durations: [Int64] = []

    init(log: EventLog, from: String, to: String) throws {
        struct Seen {
            var received: Int64
            var opened = false
            var information = false
            var due: Int64?
            var firstResolved: Int64?
        }
        func milliseconds(_ value: JSONValue?) -> Int64? {
            guard let text = value?.stringValue, let date = TicketEventCodec.parseTime(text) else { return nil }
            return Int64((date.timeIntervalSince1970 * 1000).rounded())
        }
        func istanbulDay(_ ms: Int64) -> String {
            let parts = Calendar(identifier: .gregorian).dateComponents(
                in: TimeZone(secondsFromGMT: 3 * 3600)!, from: Date(timeIntervalSince1970: Double(ms) / 1000))
            return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
        }
        var tickets: [String: Seen] = [:]
        for entry in try log.entries(from: 1, limit: 10_000_000) {
            let data = try entry.data()
            guard let ticket = data["ticket"]?.stringValue else { continue }
            switch entry.type {
            case "CallReceived": tickets[ticket] = Seen(received: milliseconds(data["at"])!)
            case "TicketOpened": tickets[ticket]?.opened = true
            case "InformationProvided": tickets[ticket]?.information = true
            case "TicketRouted", "RoutingOverridden":
                if tickets[ticket]?.due == nil { tickets[ticket]?.due = milliseconds(data["dueAt"]) }
            case "TicketResolved":
                if tickets[ticket]?.firstResolved == nil { tickets[ticket]?.firstResolved = milliseconds(data["at"]) }
            default: break
            }
        }
        for seen in tickets.values {
            let day = istanbulDay(seen.received)
            guard day >= from && day <= to else { continue }
            calls += 1
            if seen.opened { opened += 1 }
            if seen.information { firstContact += 1 }
            if let resolvedAt = seen.firstResolved {
                resolved += 1
                durations.append(resolvedAt - seen.received)
                if let due = seen.due {
                    withStandard += 1
                    if resolvedAt <= due { withinStandard += 1 }
                }
            }
        }
        durations.sort()
    }

    func percentile(_ p: Double) -> JSONValue {
        guard !durations.isEmpty else { return .null }
        let rank = max(1, Int((p * Double(durations.count) - 1e-9).rounded(.up)))
        return .integer(durations[rank - 1])
    }
}
