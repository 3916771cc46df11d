import Foundation

/// The period a report covers: calls received on its days, Europe/Istanbul, both ends included.
public struct ReportPeriod: Sendable, Hashable {
    /// How the period was asked for: `2025`, `2025-03` or `2025-01-01..2025-06-30`.
    public let label: String
    /// The first day, `YYYY-MM-DD`.
    public let from: String
    /// The last day, `YYYY-MM-DD`.
    public let to: String

    /// Parses `2025` (a year), `2025-03` (a month) or `2025-01-01..2025-06-30` (inclusive days).
    public init(parsing text: String) throws(ReportPeriodError) {
        let text = text.trimmingCharacters(in: .whitespaces)
        label = text
        if let range = text.range(of: "..") {
            let first = String(text[..<range.lowerBound])
            let last = String(text[range.upperBound...])
            guard let start = Self.day(first), let end = Self.day(last) else {
                throw ReportPeriodError("'\(text)' is not a range of days: write YYYY-MM-DD..YYYY-MM-DD, e.g. 2025-01-01..2025-06-30")
            }
            guard start <= end else { throw ReportPeriodError("the period \(text) ends before it starts") }
            from = first
            to = last
        } else if text.count == 4, let year = Int(text), (1970...9999).contains(year) {
            from = "\(text)-01-01"
            to = "\(text)-12-31"
        } else if text.count == 7, text.dropFirst(4).first == "-", let year = Int(text.prefix(4)), let month = Int(text.suffix(2)),
            (1970...9999).contains(year), (1...12).contains(month)
        {
            from = "\(text)-01"
            let days = Calendar.istanbul.range(of: .day, in: .month, for: Self.day(from)!)!.count
            to = "\(text)-\(String(format: "%02d", days))"
        } else {
            throw ReportPeriodError("'\(text)' is not a period: write a year (2025), a month (2025-03) or days (2025-01-01..2025-06-30)")
        }
    }

    /// Whether the day `YYYY-MM-DD` is in the period.
    public func contains(day: String) -> Bool { day >= from && day <= to }

    /// The start of `day` in Europe/Istanbul, or nil when it is not a calendar day.
    static func day(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1970...9999).contains(year)
        else { return nil }
        let components = DateComponents(year: year, month: month, day: day)
        guard components.isValidDate(in: Calendar.istanbul), let date = Calendar.istanbul.date(from: components) else { return nil }
        return date
    }
}

/// Why a period could not be read.
public struct ReportPeriodError: Error, Sendable, CustomStringConvertible {
    /// What is wrong and how to write it instead.
    public let description: String
    init(_ description: String) { self.description = description }
}
