public import Foundation

/// The name of a stream: every event belongs to exactly one stream (a ticket, a catalog...).
/// 1 to 200 bytes of UTF-8 without control characters.
public struct StreamID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The stream's name.
    public let rawValue: String

    /// Validates and wraps a stream name.
    public init(_ rawValue: String) throws(InvalidIdentifier) {
        try InvalidIdentifier.check(rawValue, what: "stream", maximumBytes: 200)
        self.rawValue = rawValue
    }

    init(unchecked rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
    public static func < (a: StreamID, b: StreamID) -> Bool { Array(a.rawValue.utf8).lexicographicallyPrecedes(b.rawValue.utf8) }
}

/// The identity of one event, chosen by its producer so that a retried append is recorded once.
/// 1 to 128 bytes of UTF-8 without control characters.
public struct EventID: Hashable, Sendable, CustomStringConvertible {
    /// The identifier's text.
    public let rawValue: String

    /// Validates and wraps an event id.
    public init(_ rawValue: String) throws(InvalidIdentifier) {
        try InvalidIdentifier.check(rawValue, what: "event id", maximumBytes: 128)
        self.rawValue = rawValue
    }

    init(unchecked rawValue: String) { self.rawValue = rawValue }

    /// A new random identifier (a lowercase UUID).
    public static func random() -> EventID { EventID(unchecked: RandomUUID.make()) }

    public var description: String { rawValue }
}

/// Why an identifier was refused.
public struct InvalidIdentifier: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, in words.
    public let reason: String
    public var description: String { reason }

    static func check(_ value: String, what: String, maximumBytes: Int) throws(InvalidIdentifier) {
        let count = value.utf8.count
        guard count > 0 else { throw InvalidIdentifier(reason: "\(what) is empty") }
        guard count <= maximumBytes else {
            throw InvalidIdentifier(reason: "\(what) is \(count) bytes long; the limit is \(maximumBytes)")
        }
        // Control characters are exactly the UTF-8 bytes below 0x20 and 0x7F (every byte of a
        // multi-byte sequence is 0x80 or above). Read from the contiguous bytes: replay checks
        // millions of identifiers, and stepping through `utf8` costs several times more.
        var bytes = value
        if bytes.withUTF8({ $0.contains { $0 < 0x20 || $0 == 0x7f } }) {
            throw InvalidIdentifier(reason: "\(what) contains a control character")
        }
    }
}

/// An instant with millisecond precision, written as RFC 3339 UTC (`2025-03-01T08:15:00.000Z`).
public struct Timestamp: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public let millisecondsSinceEpoch: Int64

    /// Wraps a count of milliseconds since the Unix epoch.
    public init(millisecondsSinceEpoch: Int64) { self.millisecondsSinceEpoch = millisecondsSinceEpoch }

    /// The instant of a `Date`, truncated to the millisecond.
    public init(_ date: Date) {
        self.millisecondsSinceEpoch = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// The same instant as a `Date`.
    public var date: Date { Date(timeIntervalSince1970: Double(millisecondsSinceEpoch) / 1000) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.millisecondsSinceEpoch < b.millisecondsSinceEpoch }

    /// RFC 3339 in UTC with exactly three fractional digits.
    public var description: String {
        let millis = millisecondsSinceEpoch
        let days = millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000
        let msOfDay = millis - days * 86_400_000
        let (year, month, day) = Self.civil(fromDays: days)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(msOfDay / 3_600_000, 2)):"
            + "\(pad(msOfDay / 60_000 % 60, 2)):\(pad(msOfDay / 1000 % 60, 2)).\(pad(msOfDay % 1000, 3))Z"
    }

    /// Parses the exact form `description` writes (`YYYY-MM-DDTHH:MM:SS.mmmZ`).
    public init?(rfc3339 text: String) {
        let parsed = Array(text.utf8).withUnsafeBytes { Timestamp(rfc3339: $0) }
        guard let parsed else { return nil }
        self = parsed
    }

    init?(rfc3339 b: UnsafeRawBufferPointer) {
        guard b.count == 24, b[4] == 0x2d, b[7] == 0x2d, b[10] == 0x54, b[13] == 0x3a, b[16] == 0x3a,
            b[19] == 0x2e, b[23] == 0x5a
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for i in range {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int64(b[i] - 0x30)
            }
            return v
        }
        guard let y = number(0..<4), let mo = number(5..<7), let d = number(8..<10), let h = number(11..<13),
            let mi = number(14..<16), let s = number(17..<19), let ms = number(20..<23),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 60
        else { return nil }
        let days = Self.days(fromCivil: y, mo, d)
        guard Self.civil(fromDays: days) == (y, mo, d) else { return nil }
        self.millisecondsSinceEpoch = days * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000 + ms
    }

    // Howard Hinnant's civil calendar algorithms.
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
