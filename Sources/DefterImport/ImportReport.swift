public import DefterDomain
import Foundation

/// What an import did, or would do in a dry run: counts, every value the mapping lacks with the
/// line to add, every bad record with its line and why, and the tickets by department and status.
public struct ImportReport: Sendable {
    /// Whether nothing was written.
    public var dryRun = false
    /// Records read from the file (header excluded).
    public var rowsRead = 0
    /// Records the mapping translated.
    public var mapped = 0
    /// New tickets (imported, or that would be).
    public var imported = 0
    /// Records changed in the source since an earlier import, appended as `ImportedRecordChanged`.
    public var changed = 0
    /// Records already imported as they are.
    public var unchanged = 0
    /// Records changed in the source whose ticket Defter has worked since: not applied.
    public var conflicts: [(line: Int, ticket: TicketID, sourceId: String)] = []
    /// Records not imported, with their line and why (the first `keptLines`; `badCount` counts all).
    public var bad: [(line: Int, reason: String)] = []
    public var badCount = 0
    /// Values the mapping lacks, with how many records name each and the first line.
    public var unmapped: [UnmappedValue: (count: Int, firstLine: Int)] = [:]
    /// Records with what the source got wrong (they are imported), by finding, with the first lines.
    public var findings: [ImportFinding: (count: Int, lines: [Int])] = [:]
    /// The net effect on tickets, by department and by status.
    public var byDepartment: [String: Int] = [:]
    public var byStatus: [String: Int] = [:]
    /// Imported ticket numbers used by this run, per year: first and last.
    public var numbers: [Int: (first: TicketID, last: TicketID)] = [:]
    /// Batches appended.
    public var batches = 0
    public var seconds = 0.0

    /// How many bad records are listed by line (all are counted).
    public static let keptLines = 200

    public init() {}

    mutating func addBad(line: Int, reason: String) {
        badCount += 1
        if bad.count < Self.keptLines { bad.append((line, reason)) }
    }

    mutating func addUnmapped(_ values: [UnmappedValue], line: Int) {
        for value in values {
            let known = unmapped[value]
            unmapped[value] = ((known?.count ?? 0) + 1, known?.firstLine ?? line)
        }
    }

    mutating func addFindings(_ found: [ImportFinding], line: Int) {
        for finding in found {
            var entry = findings[finding] ?? (0, [])
            entry.count += 1
            if entry.lines.count < 20 { entry.lines.append(line) }
            findings[finding] = entry
        }
    }

    mutating func uncount(department: String, status: String) {
        byDepartment[department, default: 0] -= 1
        byStatus[status, default: 0] -= 1
        if byDepartment[department] == 0 { byDepartment[department] = nil }
        if byStatus[status] == 0 { byStatus[status] = nil }
    }

    mutating func count(_ record: ImportedRecordState, _ delta: Int) {
        byDepartment[record.department.rawValue, default: 0] += delta
        byStatus[record.state.status.rawValue, default: 0] += delta
        if byDepartment[record.department.rawValue] == 0 { byDepartment[record.department.rawValue] = nil }
        if byStatus[record.state.status.rawValue] == 0 { byStatus[record.state.status.rawValue] = nil }
    }

    /// Records not imported because the mapping lacks a value.
    public var unmappedRecords = 0

    /// The report as people read it: what happened, then what to fix.
    public func rendered(system: String) -> String {
        var out: [String] = []
        let verb = dryRun ? "would import" : "imported"
        out.append(
            "\(dryRun ? "Dry run (nothing was written)" : "Import") from '\(system)': \(rowsRead) records read, \(mapped) mapped; \(verb) \(imported) new tickets, \(dryRun ? "would apply" : "applied") \(changed) changes; \(unchanged) already imported as they are."
        )
        if unmappedRecords > 0 || badCount > 0 {
            out.append("Not imported: \(unmappedRecords) records whose values the mapping lacks, \(badCount) bad records.")
        }
        if !unmapped.isEmpty {
            out.append("")
            out.append("Values the mapping lacks (add each line under its section, then run again; what was imported stays):")
            let noun = [
                "agencies": "agency", "request_types": "request type", "statuses": "status", "channels": "channel",
                "districts": "district",
            ]
            for (value, entry) in unmapped.sorted(by: { ($0.value.count, $1.key) > ($1.value.count, $0.key) }) {
                let shown = value.value.isEmpty ? "(empty)" : value.value
                out.append(
                    "  \(noun[value.section] ?? value.section) '\(shown)' in \(Self.grouped(entry.count)) records (first on line \(entry.firstLine)) has no mapping; add \"\(value.value)\" = \"...\" under [\(value.section)]"
                )
            }
        }
        if !bad.isEmpty {
            out.append("")
            out.append("Bad records (not imported; fix them in the source or the mapping and run again):")
            for (line, reason) in bad { out.append("  line \(line): \(reason)") }
            if badCount > bad.count { out.append("  ... and \(badCount - bad.count) more") }
        }
        if !findings.isEmpty {
            out.append("")
            out.append("Imported, with what the source got wrong (the audit lists these as findings of the import):")
            for (finding, entry) in findings.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                out.append(
                    "  \(entry.count) records \(finding.explanation) (lines \(entry.lines.map(String.init).joined(separator: ", "))\(entry.count > entry.lines.count ? ", ..." : ""))"
                )
            }
        }
        if !conflicts.isEmpty {
            out.append("")
            out.append("Changed in the source but worked in Defter since they were imported (not applied; Defter's history stands):")
            for conflict in conflicts.prefix(50) {
                out.append("  line \(conflict.line): \(conflict.sourceId) is ticket \(conflict.ticket)")
            }
            if conflicts.count > 50 { out.append("  ... and \(conflicts.count - 50) more") }
        }
        if !byDepartment.isEmpty {
            out.append("")
            out.append("Tickets \(dryRun ? "the import would add" : "added") by department (net of changes):")
            for (key, count) in byDepartment.sorted(by: { $0.key < $1.key }) { out.append("  \(key): \(count)") }
            out.append("By status:")
            for (key, count) in byStatus.sorted(by: { $0.key < $1.key }) { out.append("  \(key): \(count)") }
        }
        if !numbers.isEmpty {
            out.append("")
            for (year, range) in numbers.sorted(by: { $0.key < $1.key }) {
                out.append("Numbers \(year): \(range.first) to \(range.last)")
            }
        }
        return out.joined(separator: "\n")
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }
}
