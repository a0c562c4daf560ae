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
