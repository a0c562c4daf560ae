import WardenCore

/// The owner of the dashboard's alert acknowledgements and snoozes: holds one `AlertAttention` (the pure
/// decisions) and serialises the operators' requests. In memory: marks are lost when Warden restarts.
actor AlertMarks {
    private var attention = AlertAttention()

    /// What an operator asks for, the `action` field of `POST /ui/acks`.
    enum Action: String, Codable, Sendable, CaseIterable {
        case acknowledge, snooze, clear
    }

    /// Applies `action` to `key` at `now`.
    /// - Throws: `AlertAttention.Refusal` (empty or long key, bad duration, too many marks).
    func apply(_ action: Action, key: String, seconds: Double?, now: Double) throws(AlertAttention.Refusal) {
        switch action {
        case .acknowledge: try attention.acknowledge(key, now: now)
        case .snooze: try attention.snooze(key, for: seconds ?? 0, now: now)
        case .clear: attention.clear(key)
        }
    }

    /// Every mark still in force at `now`, sorted by key.
    func list(now: Double) -> [AckEntry] {
        attention.prune(keeping: Set(attention.marks.keys), now: now)
        return attention.marks.keys.sorted().map { key in
            let (loudness, until) = attention.loudness(of: key, now: now)
            return AckEntry(key: key, loudness: loudness, until: until.map { RFC3339Text.string(secondsSinceEpoch: $0) })
        }
    }
}

/// One element of `GET /ui/acks`: `{"key": "...", "loudness": "acknowledged", "until": null}`.
struct AckEntry: Codable, Sendable, Equatable {
    var key: String
    var loudness: AlertAttention.Loudness
    var until: String?

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key, forKey: .key); try c.encode(loudness, forKey: .loudness); try c.encode(until, forKey: .until)
    }
}

/// Body of `POST /ui/acks`: `{"key": "...", "action": "snooze", "seconds": 3600}`.
struct AckRequest: Codable, Sendable {
    var key: String
    var action: AlertMarks.Action
    var seconds: Double?
}

extension AlertAttention.Refusal {
    /// A sentence for the 400 answer.
    var message: String {
        switch self {
        case .emptyKey: return "\"key\" is empty"
        case .keyTooLong(let bytes): return "\"key\" is \(bytes) bytes; at most \(AlertAttention.maxKeyBytes)"
        case .badDuration(let seconds): return "\"seconds\" must be more than 0 and at most 7 days (604800); got \(seconds)"
        case .full: return "too many marked alerts (\(AlertAttention.maxMarks)); clear some first"
        }
    }
}
