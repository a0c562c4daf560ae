import WardenAPI
import WardenCore
import WardenLinux

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The owner of the dashboard's alert acknowledgements and snoozes: holds one `AlertAttention` (the pure
/// decisions) and serialises the operators' requests. With a `file` (`STATE_DIR/dashboard-acks.json`), the
/// marks survive a restart of Warden: read once at start, rewritten atomically (mode 0600) after each change.
actor AlertMarks {
    private var attention: AlertAttention
    private let writer: CoalescingFileWriter?

    /// Largest file read back (10 000 marks of a few hundred bytes; a bigger one is ignored).
    static let maxFileBytes = 4 << 20

    /// - Parameters:
    ///   - file: Where marks persist; `nil` keeps them in memory only.
    ///   - onError: Told when the file cannot be written (path, errno); a damaged file is ignored at start.
    init(file: String? = nil, now: Double, onError: @escaping @Sendable (String, Int32) -> Void = { _, _ in }) {
        attention = AlertAttention(restoring: file.flatMap { AtomicFile.read($0, maxBytes: Self.maxFileBytes) }
            .flatMap { try? JSONDecoder().decode(SavedMarks.self, from: Data($0)).marks } ?? [:], now: now)
        writer = file.map { CoalescingFileWriter(path: $0, onError: onError) }
    }

    /// What an operator asks for, the `action` field of `POST /ui/acks`.
    enum Action: String, Codable, Sendable, CaseIterable {
        case acknowledge, snooze, clear
    }

    /// Applies `action` to `key` at `now`; `alerts` are the alerts open or recently resolved (`control.alerts()`):
    /// only their keys can be marked, and marks of other keys are dropped.
    /// - Throws: `AlertAttention.Refusal` (empty, long, control characters or unknown key, bad duration, too many marks).
    func apply(_ action: Action, key: String, seconds: Double?, alerts: [AlertStatus], now: Double) throws(AlertAttention.Refusal) {
        let live = Set(alerts.map(Self.key))
        attention.prune(keeping: live, now: now)
        switch action {
        case .acknowledge: try attention.acknowledge(key, now: now, alerts: live)
        case .snooze: try attention.snooze(key, for: seconds ?? 0, now: now, alerts: live)
        case .clear: attention.clear(key)
        }
        save()
    }

    /// Lets the alerts open now (`control.alerts()`) inherit the marks saved before a restart
    /// (`AlertAttention.adopt`), saving when that changed anything.
    func adopt(_ alerts: [AlertStatus], now: Double) {
        if attention.adopt(openKeys: alerts.filter { $0.resolvedAt == nil }.map(Self.key), now: now) { save() }
    }

    /// An alert's key, as the page's `W.alertKey` writes it: `kind|collector|pool|worker|process|started_at`.
    static func key(_ alert: AlertStatus) -> String {
        [alert.kind, alert.collector ?? "", alert.pool ?? "", alert.worker ?? "", alert.process ?? "", alert.startedAt].joined(separator: "|")
    }

    private func save() {
        if let writer, let bytes = try? JSONEncoder().encode(SavedMarks(attention.saved)) { writer.submit(Array(bytes)) }
    }

    /// Writes completed to the file (tests).
    var writes: Int { writer?.writes ?? 0 }

    /// Every mark still in force at `now` whose alert is among `alerts` (open or recently resolved), sorted
    /// by key; the others are dropped.
    func list(alerts: [AlertStatus], now: Double) -> [AckEntry] {
        let before = attention.marks.count
        attention.prune(keeping: Set(alerts.map(Self.key)), now: now)
        if attention.marks.count != before { save() }
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

/// The file's JSON: `{"version": 1, "marks": [{"key": "...", "acknowledged_at": 1.7e9} | {"key": "...",
/// "snoozed_until": 1.7e9}]}` (seconds since the epoch).
struct SavedMarks: Codable {
    struct Entry: Codable {
        var key: String
        var acknowledgedAt: Double?
        var snoozedUntil: Double?
        enum CodingKeys: String, CodingKey { case key, acknowledgedAt = "acknowledged_at", snoozedUntil = "snoozed_until" }
    }
    var version = 1
    var entries: [Entry]
    enum CodingKeys: String, CodingKey { case version, entries = "marks" }

    init(_ marks: [String: AlertAttention.Mark]) {
        entries = marks.keys.sorted().map { key in
            switch marks[key]! {
            case .acknowledged(let at): return Entry(key: key, acknowledgedAt: at)
            case .snoozed(let until): return Entry(key: key, snoozedUntil: until)
            }
        }
    }

    var marks: [String: AlertAttention.Mark] {
        var out: [String: AlertAttention.Mark] = [:]
        for entry in entries {
            if let at = entry.acknowledgedAt { out[entry.key] = .acknowledged(at: at) }
            else if let until = entry.snoozedUntil { out[entry.key] = .snoozed(until: until) }
        }
        return out
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
        case .controlCharacter: return "\"key\" holds a control character"
        case .unknownAlert: return "\"key\" names no alert open or recently resolved (GET /v1/alerts)"
        }
    }
}
