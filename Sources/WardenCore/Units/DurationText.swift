/// Parsing and formatting of the duration strings used in Warden's config: `"250ms"`, `"10s"`, `"5m"`,
/// `"1h"`, and compounds such as `"1m30s"`.
///
/// Units: `us` (microseconds), `ms`, `s`, `m`, `h`, `d`. A bare number is rejected on purpose: a limit
/// written without its unit is the classic way to restart a healthy process in a loop (PM2 issue 2488).
public enum DurationText {
    /// A reason a duration string was rejected, phrased for a config diagnostic.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Parses `text` into a `Duration`.
    /// - Parameter text: e.g. `"250ms"`, `"1m30s"`; surrounding whitespace is not allowed.
    /// - Returns: the duration; `"0s"` is zero.
    /// - Throws: `ParseError` when the text is empty, has no unit, an unknown unit, or a negative value.
    public static func parse(_ text: String) throws(ParseError) -> Duration {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw ParseError(description: "empty duration; write e.g. \"10s\"") }
        var total: Duration = .zero
        var i = 0
        while i < bytes.count {
            let numberStart = i
            while i < bytes.count, (bytes[i] >= 48 && bytes[i] <= 57) || bytes[i] == 46 { i += 1 }
            guard i > numberStart, let value = Double(String(decoding: bytes[numberStart..<i], as: UTF8.self))
            else { throw ParseError(description: "invalid duration \"\(text)\"; write e.g. \"250ms\", \"10s\", \"5m\"") }
            let unitStart = i
            while i < bytes.count, (bytes[i] >= 97 && bytes[i] <= 122) || (bytes[i] >= 65 && bytes[i] <= 90) { i += 1 }
            let unit = String(decoding: bytes[unitStart..<i], as: UTF8.self)
            let seconds: Double
            switch unit {
            case "us", "µs": seconds = value / 1_000_000
            case "ms": seconds = value / 1000
            case "s": seconds = value
            case "m", "min": seconds = value * 60
            case "h": seconds = value * 3600
            case "d": seconds = value * 86400
            case "" where i == bytes.count:
                throw ParseError(description: "duration \"\(text)\" has no unit; write e.g. \"\(text)s\"")
            case "": throw ParseError(description: "invalid duration \"\(text)\"; write e.g. \"250ms\", \"10s\", \"5m\"")
            default: throw ParseError(description: "unknown duration unit \"\(unit)\" in \"\(text)\"; use ms, s, m, h or d")
            }
            // Int64 nanoseconds hold about 292 years; anything near that is a typo, not a timeout.
            guard seconds < 9e9, total.nanoseconds < 9_000_000_000_000_000_000 - Int64(seconds * 1e9) else {
                throw ParseError(description: "duration \"\(text)\" is too large")
            }
            total += .nanoseconds(Int64((seconds * 1e9).rounded()))
        }
        return total
    }

    /// An estimate for humans, rounded to what a reader can use: `~40 s` (rounded up, under 2 min), `~4 min`
    /// (under 2 h), `~2 h 38 min` (under 2 days), `~3 d 4 h`. Negative or non-finite seconds read as `~0 s`.
    public static func approximate(seconds: Double) -> String {
        let value = seconds.isFinite ? max(0, seconds) : 0
        if value < 120 { return "~\(Int(value.rounded(.up))) s" }
        let minutes = Int((value / 60).rounded())
        if minutes < 120 { return "~\(minutes) min" }
        if minutes < 48 * 60 { return "~\(minutes / 60) h" + (minutes % 60 == 0 ? "" : " \(minutes % 60) min") }
        let hours = Int((value / 3600).rounded())
        return "~\(hours / 24) d" + (hours % 24 == 0 ? "" : " \(hours % 24) h")
    }

    /// Formats a duration the way the config writes it, choosing the largest exact unit (`"1500ms"`, `"5m"`).
    public static func format(_ duration: Duration) -> String {
        let ns = duration.nanoseconds
        for (unit, size) in [("h", 3_600_000_000_000 as Int64), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000)]
        where ns != 0 && ns % size == 0 {
            return "\(ns / size)\(unit)"
        }
        return ns == 0 ? "0s" : "\(ns / 1000)us"
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating at Int64 range, ~292 years).
    public var nanoseconds: Int64 {
        let (s, atto) = components
        return s.multipliedReportingOverflow(by: 1_000_000_000).partialValue + atto / 1_000_000_000
    }

    /// The duration in seconds as a floating-point number.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
