import Foundation

/// One way a source writes its timestamps: a pattern of `yyyy MM dd HH hh mm ss SSS a` (`a` is
/// AM/PM) with anything else literal, e.g. `dd.MM.yyyy HH:mm`; or `iso8601` (RFC 3339, with `Z`
/// or an offset, or without one). Times without an offset are read in the mapping's time zone.
/// Day, month, hour, minute and second take one or two digits.
public struct TimeFormat: Sendable, Equatable, CustomStringConvertible {
    enum Token: Sendable, Equatable {
        case year, month, day, hour24, hour12, minute, second, fraction, meridiem
        case literal(UInt8)
    }

    /// The pattern as the mapping wrote it.
    public let description: String
    let tokens: [Token]?

    /// Compiles a pattern; throws naming what is wrong with it.
    public init(_ pattern: String) throws(ImportError) {
        description = pattern
        if pattern.lowercased() == "iso8601" {
            tokens = nil
            return
        }
        var tokens: [Token] = []
        var rest = Substring(pattern)
        let names: [(String, Token)] = [
            ("yyyy", .year), ("MM", .month), ("dd", .day), ("HH", .hour24), ("hh", .hour12), ("mm", .minute), ("ss", .second),
            ("SSS", .fraction), ("a", .meridiem),
        ]
        while !rest.isEmpty {
            if let (name, token) = names.first(where: { rest.hasPrefix($0.0) }) {
                tokens.append(token)
                rest = rest.dropFirst(name.count)
                continue
            }
            let character = rest.first!
            if character.isLetter {
                throw .badMapping(
                    "time format '\(pattern)': '\(character)' is not one of yyyy, MM, dd, HH, hh, mm, ss, SSS, a (no other letters can appear in a pattern)"
                )
            }
            tokens.append(contentsOf: character.utf8.map(Token.literal))
            rest = rest.dropFirst()
        }
        guard tokens.contains(.year), tokens.contains(.month), tokens.contains(.day) else {
            throw .badMapping("time format '\(pattern)' needs at least yyyy, MM and dd")
        }
        if tokens.contains(.hour12) != tokens.contains(.meridiem) {
            throw .badMapping("time format '\(pattern)': hh (12-hour) and a (AM/PM) go together")
        }
        self.tokens = tokens
    }

    /// The moment `text` names, reading times without an offset in `zone`; nil when `text` is
    /// not in this format or names no real date.
    func parse(_ text: String, in zone: TimeZone) -> Date? {
        var text = text
        return text.withUTF8 { bytes in
            guard let tokens else { return Self.parseISO(bytes, in: zone) }
            var index = 0
            var year = 0
            var month = 0
            var day = 0
            var hour = 0
            var minute = 0
            var second = 0
            var millisecond = 0
            var pm: Bool?
            func digits(_ maximum: Int, minimum: Int = 1) -> Int? {
                var value = 0
                var count = 0
                while count < maximum, index < bytes.count, (0x30...0x39).contains(bytes[index]) {
                    value = value * 10 + Int(bytes[index] - 0x30)
                    index += 1
                    count += 1
                }
                return count >= minimum ? value : nil
            }
            for token in tokens {
                switch token {
                case .year:
                    guard let value = digits(4, minimum: 4) else { return nil }
                    year = value
                case .month:
                    guard let value = digits(2) else { return nil }
                    month = value
                case .day:
                    guard let value = digits(2) else { return nil }
                    day = value
                case .hour24, .hour12:
                    guard let value = digits(2) else { return nil }
                    hour = value
                case .minute:
                    guard let value = digits(2) else { return nil }
                    minute = value
                case .second:
                    guard let value = digits(2) else { return nil }
                    second = value
                case .fraction:
                    let start = index
                    guard let value = digits(9) else { return nil }
                    let count = index - start
                    millisecond = count >= 3 ? value / Self.power(count - 3) : value * Self.power(3 - count)
                case .meridiem:
                    guard index + 2 <= bytes.count else { return nil }
                    let first = bytes[index] | 0x20
                    let second = bytes[index + 1] | 0x20
                    guard second == UInt8(ascii: "m"), first == UInt8(ascii: "a") || first == UInt8(ascii: "p") else { return nil }
                    pm = first == UInt8(ascii: "p")
                    index += 2
                case .literal(let byte):
                    guard index < bytes.count, bytes[index] == byte else { return nil }
                    index += 1
                }
            }
            guard index == bytes.count else { return nil }
            if let pm {
                guard (1...12).contains(hour) else { return nil }
                hour = hour % 12 + (pm ? 12 : 0)
            }
            return Self.date(year, month, day, hour, minute, second, millisecond, offset: nil, zone: zone)
        }
    }

    static func power(_ exponent: Int) -> Int { (0..<exponent).reduce(1) { value, _ in value * 10 } }

    /// RFC 3339 / ISO 8601: `YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH:MM]`, or a date alone.
    static func parseISO(_ bytes: UnsafeBufferPointer<UInt8>, in zone: TimeZone) -> Date? {
        var index = 0
        func number(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for offset in 0..<count {
                let digit = bytes[index + offset] &- 0x30
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            index += count
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2) else { return nil }
        if index == bytes.count { return date(year, month, day, 0, 0, 0, 0, offset: nil, zone: zone) }
        guard expect(UInt8(ascii: "T")) || expect(UInt8(ascii: " ")) || expect(UInt8(ascii: "t")) else { return nil }
        guard let hour = number(2), expect(0x3A), let minute = number(2) else { return nil }
        var second = 0
        var millisecond = 0
        if expect(0x3A) {
            guard let value = number(2) else { return nil }
            second = value
            if expect(0x2E) || expect(0x2C) {
                var count = 0
                var value = 0
                while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
                    if count < 3 { value = value * 10 + Int(bytes[index] - 0x30) }
                    count += 1
                    index += 1
                }
                guard count > 0 else { return nil }
                millisecond = value * power(max(0, 3 - count))
            }
        }
        var offset: Int?
        if index < bytes.count {
            if bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z") {
                index += 1
                offset = 0
            } else if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
                guard let hours = number(2) else { return nil }
                _ = expect(0x3A)
                guard let minutes = number(2) else { return nil }
                offset = sign * (hours * 3600 + minutes * 60)
            }
        }
        guard index == bytes.count else { return nil }
        return date(year, month, day, hour, minute, second, millisecond, offset: offset, zone: zone)
    }

    /// The moment of a civil date and time at `offset` seconds east of UTC, or in `zone` when nil.
    static func date(
        _ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int, _ millisecond: Int, offset: Int?,
        zone: TimeZone
    ) -> Date? {
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24, minute < 60, second < 61
        else { return nil }
        let local = ((days(year: year, month: month, day: day) * 24 + hour) * 60 + minute) * 60 + min(second, 59)
        let seconds: Int
        if let offset {
            seconds = local - offset
        } else {
            // The offset in force at that local time: first guess with the local time read as UTC,
            // then correct with the offset at the guess (what zoneinfo does for fold = 0 in most cases).
            let guess = local - zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(local)))
            seconds = local - zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(guess)))
        }
        return Date(timeIntervalSince1970: Double(seconds) + Double(millisecond) / 1000)
    }

    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        return era * 146_097 + yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear - 719_468
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
