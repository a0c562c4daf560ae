/// What an operator has said about alerts on the dashboard: acknowledged (seen: stays visible but quiet) or
/// snoozed until a time (quiet until then, loud again after). Pure: times are seconds since the Unix epoch,
/// passed in. Keys are the alerts' identities as the dashboard writes them (opaque here).
///
/// Bounded: at most `maxMarks` marks, keys of at most `maxKeyBytes`; `prune` drops marks of alerts
/// that are gone.
public struct AlertAttention: Sendable, Equatable {
    /// An operator's mark on one alert.
    public enum Mark: Sendable, Equatable {
        case acknowledged(at: Double)
        case snoozed(until: Double)
    }

    /// How loudly the dashboard shows an alert now.
    public enum Loudness: String, Sendable, Equatable, Codable {
        /// Unmarked, or its snooze expired.
        case loud
        /// Acknowledged: shown, not highlighted, not counted as needing attention.
        case acknowledged
        /// Snoozed: shown quietly until the snooze ends.
        case snoozed
    }

    /// Why a mark was refused.
    public enum Refusal: Error, Sendable, Equatable {
        case emptyKey
        case keyTooLong(bytes: Int)
        case badDuration(seconds: Double)
        case full
    }

    public static let maxMarks = 10_000
    public static let maxKeyBytes = 1_024
    /// Longest snooze: 7 days.
    public static let maxSnoozeSeconds = 7.0 * 86_400

    public private(set) var marks: [String: Mark] = [:]

    public init() {}

    /// Acknowledges `key` at `now` (replacing a snooze).
    public mutating func acknowledge(_ key: String, now: Double) throws(Refusal) {
        try admit(key)
        marks[key] = .acknowledged(at: now)
    }

    /// Snoozes `key` for `seconds` (0 < seconds <= 7 days) from `now` (replacing an acknowledgement).
    public mutating func snooze(_ key: String, for seconds: Double, now: Double) throws(Refusal) {
        guard seconds.isFinite, seconds > 0, seconds <= Self.maxSnoozeSeconds else { throw .badDuration(seconds: seconds) }
        try admit(key)
        marks[key] = .snoozed(until: now + seconds)
    }

    /// Removes the mark of `key` (the alert is loud again).
    public mutating func clear(_ key: String) { marks[key] = nil }

    /// How `key` is shown at `now`; the time a snooze ends comes with `.snoozed`.
    public func loudness(of key: String, now: Double) -> (Loudness, until: Double?) {
        switch marks[key] {
        case nil: return (.loud, nil)
        case .acknowledged: return (.acknowledged, nil)
        case .snoozed(let until): return until > now ? (.snoozed, until) : (.loud, nil)
        }
    }

    /// Keeps only marks whose key is in `live` and unexpired snoozes.
    public mutating func prune(keeping live: Set<String>, now: Double) {
        marks = marks.filter { key, mark in
            guard live.contains(key) else { return false }
            if case .snoozed(let until) = mark { return until > now }
            return true
        }
    }

    private func admit(_ key: String) throws(Refusal) {
        guard !key.isEmpty else { throw .emptyKey }
        guard key.utf8.count <= Self.maxKeyBytes else { throw .keyTooLong(bytes: key.utf8.count) }
        guard marks[key] != nil || marks.count < Self.maxMarks else { throw .full }
    }
}
