/// Warden's one RFC 3339 formatter (the API's timestamps, `events.jsonl`). Pure: it formats a given time and
/// never reads the clock; the edges that need "now" read it and pass it in.
public enum RFC3339Text {
    /// `secondsSinceEpoch` (Unix time, UTC) as RFC 3339 with milliseconds, e.g. `2026-11-30T03:45:12.345Z`.
    /// Rounded to the nearest millisecond; times before 1970 are formatted too (proleptic Gregorian).
    public static func string(secondsSinceEpoch: Double) -> String {
        let totalMilliseconds = Int64((secondsSinceEpoch * 1000).rounded())
        let millisecondsPerDay: Int64 = 86_400_000
        var days = totalMilliseconds / millisecondsPerDay
        var milliseconds = totalMilliseconds % millisecondsPerDay
        if milliseconds < 0 {
            milliseconds += millisecondsPerDay
            days -= 1
        }
        let (year, month, day) = civil(fromDays: days)
        let seconds = milliseconds / 1000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(seconds / 3600, 2)):"
            + "\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2)).\(pad(milliseconds % 1000, 3))Z"
    }

    /// Parses an RFC 3339 date-time (`2026-11-30T03:45:12Z`, `…12.345Z`, `…12+02:00`; `t`/`z` and a space for
    /// `T` accepted) into seconds since the Unix epoch; `nil` when it is not one.
    public static func seconds(_ text: String) -> Double? {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= b.count, !range.isEmpty else { return nil }
            var value: Int64 = 0
            for i in range {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                value = value * 10 + Int64(b[i] - 48)
            }
            return value
        }
        guard b.count >= 20, b[4] == 45, b[7] == 45, [84, 116, 32].contains(b[10]), b[13] == 58, b[16] == 58,
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month), hour < 24, minute < 60,
              second < 61
        else { return nil }
        var i = 19
        var fraction = 0.0
        if b[i] == 46 {
            let start = i + 1
            i = start
            while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            guard i > start, let digits = Double("0." + String(decoding: b[start..<i], as: UTF8.self)) else { return nil }
            fraction = digits
        }
        guard i < b.count else { return nil }
        var offset: Int64 = 0
        if b[i] == 90 || b[i] == 122 {
            guard i + 1 == b.count else { return nil }
        } else if b[i] == 43 || b[i] == 45 {
            guard i + 6 == b.count, b[i + 3] == 58, let h = number(i + 1..<i + 3), let m = number(i + 4..<i + 6), h < 24, m < 60
            else { return nil }
            offset = (h * 60 + m) * 60 * (b[i] == 43 ? 1 : -1)
        } else {
            return nil
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Double(days * 86_400 + hour * 3_600 + minute * 60 + second - offset) + fraction
    }

    /// Days since 1970-01-01 of a civil date (H. Hinnant's `days_from_civil`).
    /// Days in `month` (1–12) of `year`, proleptic Gregorian: `2026-02-30` is no date.
    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Year, month (1...12), day (1...31) of `days` since 1970-01-01 (H. Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
