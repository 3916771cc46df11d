import DefterDomain
import Foundation
import Testing

@Suite struct IstanbulDateTests {
    func expected(_ date: Date) -> (Int, Int, Int, Int, Int, String) {
        let parts = Calendar.istanbul.dateComponents([.year, .month, .day, .hour, .weekday], from: date)
        let day = String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
        return (parts.year!, parts.month!, parts.day!, parts.hour!, (parts.weekday! + 5) % 7 + 1, day)
    }

    @Test("the civil day, hour and weekday agree with Foundation's Europe/Istanbul calendar, across time-zone changes")
    func agreesWithCalendar() {
        // Every 97 minutes from 2014 (summer time still kept) to 2031, and the edges of the
        // last change to UTC+3 for good.
        var instants = stride(from: 1_388_534_400.0, to: 1_924_992_000.0, by: 97 * 60).map { Date(timeIntervalSince1970: $0) }
        instants += [1_473_195_599.999, 1_473_195_600, 1_473_195_600.001].map { Date(timeIntervalSince1970: $0) }
        for date in instants {
            let local = IstanbulDate(date)
            let (year, month, day, hour, weekday, text) = expected(date)
            guard local.year == year, local.month == month, local.day == day, local.hour == hour, local.weekday == weekday,
                local.dayText == text
            else {
                Issue.record("\(date): \(local) is not \(text) \(hour)h weekday \(weekday)")
                return
            }
        }
    }
}
