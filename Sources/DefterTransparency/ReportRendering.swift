import DefterLog
import DefterProjections
import Foundation

/// The formats a report is written in.
public enum ReportFormat: String, Sendable, CaseIterable {
    case html, md, csv, json
}

extension AccountabilityReport {
    /// The report in `format` and `language`: the same report always gives the same bytes.
    public func rendered(as format: ReportFormat, language: ReportLanguage) -> [UInt8] {
        switch format {
        case .json: json(language: language).canonicalBytes + [0x0a]
        case .md: Array(markdown(language: language).utf8)
        case .csv: Array(csv.utf8)
        case .html: Array(html(language: language).utf8)
        }
    }

    // MARK: Tables shared by Markdown and HTML

    struct Table {
        let title: String
        let columns: [String]
        let rows: [[String]]
    }

    private func headlineTable(_ t: ReportText) -> Table {
        Table(
            title: t.headline, columns: [t.name, t.value],
            rows: [
                [t.calls, t.count(total.calls)],
                [t.ticketsOpened, t.count(total.opened)],
                [t.resolved, "\(t.count(total.resolved)) (\(t.percent(total.resolved, of: total.opened)))"],
                [
                    t.withinStandard,
                    "\(t.count(total.resolvedWithinStandard)) / \(t.count(total.withStandard)) (\(t.percent(total.resolvedWithinStandard, of: total.withStandard)))",
                ],
                [t.firstContact, "\(t.count(total.closedAtFirstContact)) (\(t.percent(total.closedAtFirstContact, of: total.calls)))"],
                [t.medianResolve, t.hours(total.resolveMedianMilliseconds)],
                [t.p90Resolve, t.hours(total.resolveP90Milliseconds)],
            ])
    }

    private func performanceTable(_ title: String, _ rows: [StatisticsRow], _ t: ReportText, name: (String) -> String) -> Table {
        Table(
            title: title,
            columns: [t.name, t.volume, t.opened, t.resolved, t.withinStandardShort, t.medianHours, t.reopenRate, t.referralsShort],
            rows: rows.sorted { ($0.calls, $1.key) > ($1.calls, $0.key) }.map { row in
                [
                    name(row.key), t.count(row.calls), t.count(row.opened), t.count(row.resolved),
                    t.percent(row.resolvedWithinStandard, of: row.withStandard),
                    row.resolveMedianMilliseconds.map { t.decimal(Double($0) / 3_600_000, places: 1) } ?? t.noData,
                    t.percent(row.reopened, of: row.opened), t.count(row.referrals),
                ]
            })
    }

    private func volumeTable(_ title: String, _ rows: [StatisticsRow], _ t: ReportText, name: (String) -> String) -> Table {
        Table(
            title: title, columns: [t.name, t.volume, t.share],
            rows: rows.map { [name($0.key), t.count($0.calls), t.percent($0.calls, of: total.calls)] })
    }

    private func routingTable(_ t: ReportText) -> Table {
        Table(
            title: t.routing, columns: [t.name, t.value],
            rows: [
                [t.triaged, "\(t.count(total.triaged)) (\(t.percent(total.triaged, of: total.opened)))"],
                [t.overrides, t.count(total.overrides)],
                [t.referrals, t.count(total.referrals)],
            ])
    }

    private func satisfactionTable(_ t: ReportText) -> Table {
        let average =
            total.satisfactionCount == 0
            ? t.noData : t.decimal(Double(total.satisfactionSum) / Double(total.satisfactionCount), places: 2)
        return Table(
            title: t.satisfaction, columns: [t.name, t.value],
            rows: [[t.satisfactionAverage, "\(average) (\(t.count(total.satisfactionCount)) \(t.responses))"]])
    }

    private func checkpointTable(_ t: ReportText) -> Table {
        let cp = checkpoint.checkpoint
        return Table(
            title: t.checkpoint, columns: [t.name, t.value],
            rows: [
                [t.origin, cp.origin], [t.treeSize, t.count(Int(cp.treeSize))], [t.root, cp.root.base64],
                [t.witnesses, witnesses.isEmpty ? t.noWitnesses : witnesses.joined(separator: ", ")],
            ])
    }

    private func tables(_ t: ReportText) -> [Table] {
        [
            headlineTable(t),
            performanceTable(t.byDepartment, byDepartment, t) { t.name(department: $0, catalog: catalog) },
            performanceTable(t.byCategory, byCategory, t) { t.name(category: $0, catalog: catalog) },
            volumeTable(t.monthly, byMonth, t, name: t.month),
            volumeTable(t.hourly, byHour, t) { "\($0):00" },
            volumeTable(t.channels, byChannel, t, name: t.channel),
            performanceTable(t.districts, byDistrict, t) { $0 },
            routingTable(t),
            satisfactionTable(t),
        ]
    }

    private func subtitle(_ t: ReportText) -> String {
        "\(t.periodLabel) \(period.label): \(t.callsReceivedBetween) \(period.from) \(t.through) \(period.to)\(t.throughSuffix) (Europe/Istanbul)"
    }

    // MARK: Markdown

    func markdown(language: ReportLanguage) -> String {
        let t = ReportText(language)
        var out = "# \(t.title): \(period.label)\n\n\(subtitle(t))\n\n"
        if let emptyReason { out += "> \(t.emptyReason(emptyReason, period: period))\n\n" }
        for share in imported { out += "> \(t.importedNote(share, of: total.calls))\n\n" }
        for table in tables(t) + [checkpointTable(t)] {
            out += "## \(table.title)\n\n"
            out += "| " + table.columns.map(Self.markdownCell).joined(separator: " | ") + " |\n"
            out += "|" + table.columns.map { _ in " --- |" }.joined() + "\n"
            for row in table.rows { out += "| " + row.map(Self.markdownCell).joined(separator: " | ") + " |\n" }
            out += "\n"
        }
        out += "### \(t.signedNote)\n\n```\n\(cosignedNote)```\n\n## \(t.howToVerify)\n\n"
        for (index, step) in t.verificationSteps(label: period.label, treeSize: checkpoint.checkpoint.treeSize).enumerated() {
            out += "\(index + 1). \(step)\n"
        }
        return out
    }

    private static func markdownCell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|")
    }

    // MARK: CSV

    /// Every row of every grouping, one per line, numbers unformatted (RFC 4180).
    var csv: String {
        let columns = [
            "dimension", "key", "calls", "ticketsOpened", "closedAtFirstContact", "resolved", "withStandard", "resolvedWithinStandard",
            "cancelled", "merged", "triaged", "reopened", "referrals", "overrides", "escalated", "resolveMedianMs", "resolveP90Ms",
            "acknowledgeMedianMs", "acknowledgeP90Ms", "satisfactionCount", "satisfactionSum",
        ]
        var out = columns.joined(separator: ",") + "\r\n"
        let groups: [(String, [StatisticsRow])] = [
            ("total", [total]), ("department", byDepartment), ("category", byCategory), ("district", byDistrict),
            ("channel", byChannel), ("month", byMonth), ("hour", byHour),
        ]
        for (dimension, rows) in groups {
            for row in rows {
                let json = Self.rowJSON(row)
                let cells = columns.dropFirst().map { column -> String in
                    switch json[column] {
                    case .string(let text)?: Self.csvCell(column == "key" && dimension == "total" ? period.label : text)
                    case .integer(let value)?: String(value)
                    default: ""
                    }
                }
                out += ([dimension] + cells).joined(separator: ",") + "\r\n"
            }
        }
        return out
    }

    private static func csvCell(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: HTML

    func html(language: ReportLanguage) -> String {
        let t = ReportText(language)
        let all = tables(t)
        var body = "<header><h1>\(HTML.escape(t.title)): \(HTML.escape(period.label))</h1><p>\(HTML.escape(subtitle(t)))</p></header>\n"
        if let emptyReason { body += "<p class=\"empty\">\(HTML.escape(t.emptyReason(emptyReason, period: period)))</p>\n" }
        for share in imported { body += "<p class=\"imported\">\(HTML.escape(t.importedNote(share, of: total.calls)))</p>\n" }
        body += "<section><h2>\(HTML.escape(t.headline))</h2><div class=\"cards\">"
        for row in all[0].rows {
            body +=
                "<div class=\"card\"><div class=\"figure\">\(HTML.escape(row[1]))</div><div class=\"caption\">\(HTML.escape(row[0]))</div></div>"
        }
        body += "</div></section>\n"
        let departmentBars = byDepartment.sorted { ($0.calls, $1.key) > ($1.calls, $0.key) }.map {
            SVGChart.Bar(label: t.name(department: $0.key, catalog: catalog), value: $0.calls)
        }
        body += section(all[1], chart: SVGChart.rows(departmentBars, title: all[1].title, valueText: t.count))
        body += section(all[2], chart: nil)
        let months = byMonth.map { SVGChart.Bar(label: t.shortMonth($0.key), value: $0.calls) }
        body += section(all[3], chart: SVGChart.columns(months, title: all[3].title, valueText: t.count))
        let hours = (0..<24).map { hour in
            SVGChart.Bar(label: String(hour), value: byHour.first { $0.key == String(format: "%02d", hour) }?.calls ?? 0)
        }
        body += section(
            Table(title: all[4].title, columns: [], rows: []), chart: SVGChart.columns(hours, title: all[4].title, valueText: t.count))
        let channels = byChannel.sorted { ($0.calls, $1.key) > ($1.calls, $0.key) }.map {
            SVGChart.Bar(label: t.channel($0.key), value: $0.calls)
        }
        body += section(all[5], chart: SVGChart.rows(channels, title: all[5].title, valueText: t.count))
        body += section(all[6], chart: nil)
        body += section(all[7], chart: nil)
        body += section(all[8], chart: nil)
        body += section(
            checkpointTable(t), chart: nil, after: "<h3>\(HTML.escape(t.signedNote))</h3><pre>\(HTML.escape(cosignedNote))</pre>")
        body += "<section><h2>\(HTML.escape(t.howToVerify))</h2><ol>"
        for step in t.verificationSteps(label: period.label, treeSize: checkpoint.checkpoint.treeSize) {
            body += "<li>\(Self.inlineCode(HTML.escape(step)))</li>"
        }
        body += "</ol></section>\n"
        let data = json(language: language).canonicalString.replacingOccurrences(of: "</", with: "<\\/")
        return """
            <!DOCTYPE html>
            <html lang="\(language.rawValue)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(t.title)): \(HTML.escape(period.label))</title>
            <style>\(Self.style)</style>
            </head>
            <body>
            \(body)<script type="application/json" id="defter-report">\(data)</script>
            </body>
            </html>

            """
    }

    private func section(_ table: Table, chart: String?, after: String = "") -> String {
        var out = "<section><h2>\(HTML.escape(table.title))</h2>"
        if let chart { out += "<figure>\(chart)</figure>" }
        if !table.rows.isEmpty {
            out += "<table><thead><tr>" + table.columns.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
            for row in table.rows {
                out +=
                    "<tr>"
                    + row.enumerated().map {
                        $0.offset == 0 ? "<th scope=\"row\">\(HTML.escape($0.element))</th>" : "<td>\(HTML.escape($0.element))</td>"
                    }.joined() + "</tr>"
            }
            out += "</tbody></table>"
        }
        return out + after + "</section>\n"
    }

    /// Turns `code` spans of already escaped text into `<code>`.
    private static func inlineCode(_ text: String) -> String {
        var out = ""
        var open = false
        for character in text {
            if character == "`" {
                out += open ? "</code>" : "<code>"
                open.toggle()
            } else {
                out.append(character)
            }
        }
        return open ? out + "</code>" : out
    }

    private static let style = """
        body{font-family:"DejaVu Sans",Arial,sans-serif;color:#1d2733;max-width:980px;margin:24px auto;padding:0 16px;line-height:1.4}\
        h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;border-bottom:2px solid #c8102e;padding-bottom:3px;margin-top:28px}\
        header p{color:#4a5868;margin:0}.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:10px}\
        .card{border:1px solid #d5dbe1;border-radius:6px;padding:10px 12px;break-inside:avoid}.figure{font-size:22px;font-weight:bold}\
        .caption{font-size:13px;color:#4a5868}table{border-collapse:collapse;width:100%;font-size:13px;margin-top:8px}\
        th,td{border-bottom:1px solid #e3e7ec;padding:4px 6px;text-align:right}th[scope=row],thead th:first-child{text-align:left}\
        thead th{background:#f2f4f7}figure{margin:8px 0}svg .bar{fill:#c8102e}svg text{font-size:11px;fill:#1d2733}\
        svg .axis,svg .value{text-anchor:middle}svg .label{text-anchor:end}pre{background:#f2f4f7;padding:8px;white-space:pre-wrap;word-break:break-all;font-size:12px}\
        .empty{background:#fff4d6;border:1px solid #e0b84c;padding:8px 12px;border-radius:6px}\
        .imported{background:#eef4fb;border:1px solid #8fb3d9;padding:8px 12px;border-radius:6px}\
        @media print{body{margin:0;max-width:none}section{break-inside:avoid-page}}
        """
}
