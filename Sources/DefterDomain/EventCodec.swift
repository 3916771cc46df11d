public import Foundation

/// Encodes ticket events to JSON and back. Times are RFC 3339 UTC with milliseconds; keys are
/// sorted so that the same event always gives the same bytes.
public enum TicketEventCodec {
    static let parseStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
    static let secondsStyle = Date.ISO8601FormatStyle(timeZone: .gmt)

    /// Formats a time the way events store it: `2025-03-01T08:15:00.123Z`, rounded to the
    /// millisecond (Foundation's formatter truncates, and a millisecond held in a `Double` is
    /// often a hair below itself, so a time would not survive a round trip).
    public static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (seconds, fraction) = milliseconds.quotientAndRemainderFloored(dividingBy: 1000)
        let (days, secondOfDay) = seconds.quotientAndRemainderFloored(dividingBy: 86_400)
        let (year, month, day) = CivilCalendar.date(fromDays: days)
        guard (0...9999).contains(year) else {
            return secondsStyle.format(Date(timeIntervalSince1970: Double(seconds))).dropLast() + ".\(pad(fraction, 3))Z"
        }
        var out = [UInt8]()
        out.reserveCapacity(24)
        func digits(_ value: Int64, _ count: Int) {
            var divisor: Int64 = 1
            for _ in 1..<count { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(year, 4)
        out.append(UInt8(ascii: "-"))
        digits(month, 2)
        out.append(UInt8(ascii: "-"))
        digits(day, 2)
        out.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2)
        out.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2)
        out.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2)
        out.append(UInt8(ascii: "."))
        digits(fraction, 3)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// Parses a time in the stored form, to the millisecond.
    public static func parseTime(_ text: String) -> Date? {
        if let milliseconds = storedMilliseconds(text) { return Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
        guard let date = try? parseStyle.parse(text) else { return nil }
        return Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    /// The milliseconds since 1970 of a time in exactly the stored form
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, read without a formatter (replay reads millions of them);
    /// nil for any other form.
    static func storedMilliseconds(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { bytes -> Int64? in
            guard bytes.count == 24, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54, bytes[13] == 0x3A, bytes[16] == 0x3A,
                bytes[19] == 0x2E, bytes[23] == 0x5A
            else { return nil }
            func number(_ start: Int, _ count: Int) -> Int64? {
                var value: Int64 = 0
                for index in start..<(start + count) {
                    let digit = bytes[index] &- 0x30
                    guard digit < 10 else { return nil }
                    value = value * 10 + Int64(digit)
                }
                return value
            }
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
                let minute = number(14, 2), let second = number(17, 2), let millisecond = number(20, 3),
                (1...12).contains(month), day >= 1, day <= CivilCalendar.daysIn(month: month, year: year), hour < 24, minute < 60,
                second < 60
            else { return nil }
            let days = CivilCalendar.days(year: year, month: month, day: day)
            return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millisecond
        }
    }

    /// The encoder events are written with.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(format(date))
        }
        return encoder
    }

    /// One decoder for every event read: making one per event costs more than decoding small events.
    private static let sharedDecoder = makeDecoder()

    /// The decoder events are read with.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTime(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an RFC 3339 UTC time")
            }
            return date
        }
        return decoder
    }

    /// The event's JSON data object.
    public static func encode(_ event: TicketEvent) throws -> Data {
        try makeEncoder().encode(event.payload)
    }

    /// Decodes a stored event of type `type` with Foundation's `Decodable`; nil for types that
    /// are not ticket events. (Replay reads events with `decode(type:fields:)`, to the same result.)
    public static func decode(type: String, data: Data) throws -> TicketEvent? {
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try sharedDecoder.decode(type, from: data) }
        switch type {
        case "CallReceived": return .callReceived(try decode(CallReceived.self))
        case "InformationProvided": return .informationProvided(try decode(InformationProvided.self))
        case "TicketOpened": return .ticketOpened(try decode(TicketOpened.self))
        case "TicketRouted": return .ticketRouted(try decode(TicketRouted.self))
        case "RoutingOverridden": return .routingOverridden(try decode(RoutingOverridden.self))
        case "TicketReferred": return .ticketReferred(try decode(TicketReferred.self))
        case "TicketAssigned": return .ticketAssigned(try decode(TicketAssigned.self))
        case "TicketAcknowledged": return .ticketAcknowledged(try decode(TicketAcknowledged.self))
        case "WorkStarted": return .workStarted(try decode(WorkStarted.self))
        case "TicketResolved": return .ticketResolved(try decode(TicketResolved.self))
        case "TicketClosed": return .ticketClosed(try decode(TicketClosed.self))
        case "TicketReopened": return .ticketReopened(try decode(TicketReopened.self))
        case "TicketMergedAsDuplicate": return .ticketMergedAsDuplicate(try decode(TicketMergedAsDuplicate.self))
        case "TicketCancelled": return .ticketCancelled(try decode(TicketCancelled.self))
        case "CitizenNotified": return .citizenNotified(try decode(CitizenNotified.self))
        case "NoteAdded": return .noteAdded(try decode(NoteAdded.self))
        case "FeedbackReceived": return .feedbackReceived(try decode(FeedbackReceived.self))
        case "SLAEscalated": return .slaEscalated(try decode(SLAEscalated.self))
        case "PhotoAttached": return .photoAttached(try decode(PhotoAttached.self))
        case "TicketImported": return .ticketImported(try decode(TicketImported.self))
        case "ImportedRecordChanged": return .importedRecordChanged(try decode(ImportedRecordChanged.self))
        default: return nil
        }
    }
}

/// Proleptic Gregorian dates and day counts since 1970-01-01 (H. Hinnant's algorithms), so that
/// stored times are read and written without a formatter.
enum CivilCalendar {
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func date(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension Int64 {
    /// Division rounding towards negative infinity, with a remainder in 0..<divisor.
    fileprivate func quotientAndRemainderFloored(dividingBy divisor: Int64) -> (Int64, Int64) {
        let (q, r) = quotientAndRemainder(dividingBy: divisor)
        return r < 0 ? (q - 1, r + divisor) : (q, r)
    }
}

/// A moment's civil date and hour in Europe/Istanbul. Istanbul has kept UTC+3 all year since
/// 2016-09-07, so later moments are computed by arithmetic (replay computes one per ticket);
/// earlier ones go through `Calendar.istanbul` and its time-zone rules.
public struct IstanbulDate: Sendable, Equatable {
    /// The civil year, month (1-12), day of the month and hour (0-23) in Istanbul.
    public let year: Int
    public let month: Int
    public let day: Int
    public let hour: Int
    /// The day of the week, 1 = Monday ... 7 = Sunday.
    public let weekday: Int

    /// 2016-09-06T21:00:00Z, from which Istanbul is at UTC+3 for good.
    static let fixedOffsetSince: Int64 = 1_473_195_600_000

    /// The civil date and hour of `date` in Istanbul.
    public init(_ date: Date) {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        guard milliseconds >= Self.fixedOffsetSince else {
            let parts = Calendar.istanbul.dateComponents([.year, .month, .day, .hour, .weekday], from: date)
            self.init(year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, weekday: (parts.weekday! + 5) % 7 + 1)
            return
        }
        let local = milliseconds / 1000 + 3 * 3600
        let days = local / 86_400
        let (year, month, day) = CivilCalendar.date(fromDays: days)
        // 1970-01-01 was a Thursday.
        self.init(
            year: Int(year), month: Int(month), day: Int(day), hour: Int(local % 86_400 / 3600), weekday: Int((days + 3) % 7) + 1)
    }

    init(year: Int, month: Int, day: Int, hour: Int, weekday: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.weekday = weekday
    }

    /// `YYYY-MM-DD`.
    public var dayText: String {
        var out: [UInt8] = []
        out.reserveCapacity(10)
        for (value, width) in [(year, 4), (month, 2), (day, 2)] {
            if !out.isEmpty { out.append(UInt8(ascii: "-")) }
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
