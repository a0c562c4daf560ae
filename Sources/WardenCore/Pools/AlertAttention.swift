/// What an operator has said about alerts on the dashboard: acknowledged (seen: stays visible but quiet) or
/// snoozed until a time (quiet until then, loud again after). Pure: times are seconds since the Unix epoch,
/// passed in. Keys are the alerts' identities as the dashboard writes them (opaque here).
///
/// Bounded: at most `maxMarks` marks, keys of at most `maxKeyBytes`; `prune` drops marks of alerts
/// that are gone.
public struct AlertAttention: Sendable {
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
        /// The key holds a control character (U+0000–U+001F, U+007F).
        case controlCharacter
        /// No alert (open or recently resolved) has this key.
        case unknownAlert
    }

    public static let maxMarks = 10_000
    public static let maxKeyBytes = 1_024
    /// Longest snooze: 7 days.
    public static let maxSnoozeSeconds = 7.0 * 86_400

    public private(set) var marks: [String: Mark] = [:]

    public init() {}

    /// Marks read back after a restart of Warden, waiting for their alert to open again (alerts are not
    /// kept across a restart: the same condition, found again, is a new alert with a new `started_at`).
    /// Keyed by the alert's identity (its key without `started_at`); they end `carryGrace` after the restart.
    public private(set) var carried: [String: (key: String, mark: Mark)] = [:]
    /// When the carried marks were read back.
    public private(set) var restoredAt: Double = 0
    /// How long after a restart an alert that opens again inherits its mark: 15 min (a pool alert needs
    /// `high_usage_checks` collections, a restart loop `loop_restarts` restarts, to be found again).
    public static let carryGrace = 15.0 * 60

    /// Marks saved before a restart (`key` → mark), read back at `now`: invalid keys (empty, too long, no
    /// `|started_at` part), expired or over-long snoozes are dropped; at most `maxMarks` kept, the latest
    /// mark per identity.
    public init(restoring saved: [String: Mark], now: Double) {
        restoredAt = now
        for (key, mark) in saved.sorted(by: { $0.key < $1.key }) where carried.count < Self.maxMarks {
            guard !key.isEmpty, key.utf8.count <= Self.maxKeyBytes, let identity = Self.identity(of: key) else { continue }
            switch mark {
            case .snoozed(let until): guard until > now && until <= now + Self.maxSnoozeSeconds else { continue }
            case .acknowledged(let at): guard at.isFinite else { continue }
            }
            if let other = carried[identity], other.key > key { continue }
            carried[identity] = (key, mark)
        }
    }

    /// An alert key without its last `|`-separated part (`started_at`); `nil` when it has no `|`.
    public static func identity(of key: String) -> String? {
        key.lastIndex(of: "|").map { String(key[..<$0]) }
    }

    /// Gives each open alert in `openKeys` (keys ending in `|started_at`, RFC 3339) that has no mark the
    /// carried mark of its identity, when it started within `carryGrace` after the restart (the condition
    /// found again). Carried marks end after the grace. Returns whether the marks changed (to be saved).
    @discardableResult
    public mutating func adopt(openKeys: [String], now: Double) -> Bool {
        guard !carried.isEmpty else { return false }
        var changed = false
        for key in openKeys where marks[key] == nil {
            guard let identity = Self.identity(of: key), let saved = carried[identity],
                  let started = RFC3339Text.seconds(String(key[key.index(after: key.lastIndex(of: "|")!)...])),
                  started <= restoredAt + Self.carryGrace, marks.count < Self.maxMarks else { continue }
            marks[key] = saved.mark
            carried[identity] = nil
            changed = true
        }
        if now > restoredAt + Self.carryGrace { carried = [:]; changed = true }
        return changed
    }

    /// The marks to save: the current ones and the carried ones not yet adopted.
    public var saved: [String: Mark] {
        var all = marks
        for (_, entry) in carried where all[entry.key] == nil { all[entry.key] = entry.mark }
        return all
    }

    /// Acknowledges `key` at `now` (replacing a snooze). With `alerts` (the keys of the alerts open or
    /// recently resolved), a key outside it is refused (`unknownAlert`).
    public mutating func acknowledge(_ key: String, now: Double, alerts: Set<String>? = nil) throws(Refusal) {
        try admit(key, alerts: alerts)
        marks[key] = .acknowledged(at: now)
    }

    /// Snoozes `key` for `seconds` (0 < seconds <= 7 days) from `now` (replacing an acknowledgement).
    /// `alerts` as for `acknowledge`.
    public mutating func snooze(_ key: String, for seconds: Double, now: Double, alerts: Set<String>? = nil) throws(Refusal) {
        guard seconds.isFinite, seconds > 0, seconds <= Self.maxSnoozeSeconds else { throw .badDuration(seconds: seconds) }
        try admit(key, alerts: alerts)
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

    private func admit(_ key: String, alerts: Set<String>?) throws(Refusal) {
        guard !key.isEmpty else { throw .emptyKey }
        guard key.utf8.count <= Self.maxKeyBytes else { throw .keyTooLong(bytes: key.utf8.count) }
        guard !key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { throw .controlCharacter }
        if let alerts, !alerts.contains(key) { throw .unknownAlert }
        guard marks[key] != nil || marks.count < Self.maxMarks else { throw .full }
    }
}
