/// One alert of Alertmanager's API v2 (`POST /api/v2/alerts` takes an array of them).
public struct AlertmanagerAlert: Codable, Sendable, Equatable {
    /// `alertname`, `instance`, `severity`, `host`, and `program`, `reason`, `collector`, `pool` when known
    /// (a pool alert has `program` only when it names a worker: that worker's program).
    public var labels: [String: String]
    /// `summary` (what happened) and `evidence` (the figures, or the alert's message).
    public var annotations: [String: String]
    /// RFC 3339.
    public var startsAt: String
    /// RFC 3339: when the alert resolved, or the end of a one-off happening; absent while a condition holds
    /// (Alertmanager then keeps it active for its `resolve_timeout` after each re-send).
    public var endsAt: String?

    public init(labels: [String: String], annotations: [String: String], startsAt: String, endsAt: String? = nil) {
        self.labels = labels; self.annotations = annotations; self.startsAt = startsAt; self.endsAt = endsAt
    }
}

/// The Alertmanager side of a sink: turns records into alerts, keeps the conditions that are still active,
/// and says when to re-send them. Pure: times are passed in (seconds since the Unix epoch).
///
/// Conditions (active until resolved, re-sent every `resendInterval`): a pool alert until its
/// `pool-alert-resolved`; a restart loop (`process-alert`) until its `process-alert-resolved`; a FATAL process until it leaves FATAL or is removed; a leak alert until the
/// process's growth drops below critical (`memory-growth`) or the process stops. Happenings (a policy
/// restart, a watchdog restart, a plugin failure) are sent once, with `endsAt` `happeningSeconds` later.
public struct AlertmanagerBook: Sendable {
    /// Seconds between re-sends of the active alerts (Alertmanager needs them at least every
    /// `resolve_timeout`, 5 min by default; the bound is 60 s).
    public static let resendInterval = 30.0
    /// How long a one-off happening shows as active.
    public static let happeningSeconds = 300.0

    /// What identifies one condition; the count covers conditions the record cannot tell apart (two
    /// long-running connections of one pool).
    private struct Active: Sendable {
        var alert: AlertmanagerAlert
        var count: Int
    }

    private let host: String
    private var active: [String: Active] = [:]
    /// When the active alerts were last sent (or a change was).
    private var lastSent: Double?

    public init(host: String) { self.host = host }

    /// The conditions active now, sorted by key.
    public var activeAlerts: [AlertmanagerAlert] { active.keys.sorted().map { active[$0]!.alert } }

    /// The alerts to send now because of `event`; `accepted` says whether the sink's filter takes it (a
    /// resolve is sent for every condition this book opened, whatever the filter).
    public mutating func apply(_ event: WardenEvent, accepted: Bool, now: Double) -> [AlertmanagerAlert] {
        var out: [AlertmanagerAlert] = []
        for key in resolvedKeys(by: event) {
            guard var entry = active[key] else { continue }
            entry.count -= 1
            if entry.count > 0 && event.event.isAlertResolution { active[key] = entry; continue }
            active[key] = nil
            entry.alert.endsAt = event.time
            out.append(entry.alert)
        }
        if accepted, Notifiable.severity(of: event) != nil, !event.event.isAlertResolution {
            var alert = Self.alert(for: event, host: host)
            if let key = Self.conditionKey(event) {
                if var entry = active[key] {
                    entry.count += 1
                    entry.alert.annotations = alert.annotations
                    active[key] = entry
                    alert = entry.alert
                } else {
                    active[key] = Active(alert: alert, count: 1)
                }
            } else if let start = RFC3339Text.seconds(event.time) {
                alert.endsAt = RFC3339Text.string(secondsSinceEpoch: start + Self.happeningSeconds)
            }
            out.append(alert)
        }
        if !out.isEmpty { lastSent = now }
        return out
    }

    /// The active alerts, when they are due to be sent again (`resendInterval` after the last send);
    /// `nil` when nothing is due. The caller calls `sent(now:)` once it hands them over.
    public func resendDue(now: Double) -> [AlertmanagerAlert]? {
        guard !active.isEmpty else { return nil }
        if let lastSent, now - lastSent < Self.resendInterval { return nil }
        return activeAlerts
    }

    /// When the next re-send is due, or `nil` with nothing active.
    public func nextResend() -> Double? {
        guard !active.isEmpty else { return nil }
        return (lastSent ?? 0) + Self.resendInterval
    }

    /// Records that the active alerts were handed over for sending at `now`.
    public mutating func sent(now: Double) { lastSent = now }

    // MARK: Keys

    /// The key of the condition `event` opens, or `nil` for a one-off happening.
    static func conditionKey(_ event: WardenEvent) -> String? {
        switch event.event {
        case .poolAlert: return poolKey(event)
        case .processAlert: return processAlertKey(event)
        case .stateChange where event.newState == .fatal: return event.process.map { ProcessState.fatal.rawValue + "|" + $0 }
        case .leakAlert: return event.process.map { WardenEvent.Kind.leakAlert.rawValue + "|" + $0 + "|" + (event.reason ?? "") }
        default: return nil
        }
    }

    private static func poolKey(_ event: WardenEvent) -> String {
        [event.reason, event.collector, event.pool, event.process].map { $0 ?? "" }.joined(separator: "|")
    }

    private static func processAlertKey(_ event: WardenEvent) -> String {
        [WardenEvent.Kind.processAlert.rawValue, event.reason, event.process, event.alertReason].map { $0 ?? "" }
            .joined(separator: "|")
    }

    /// The keys of the conditions `event` ends.
    private func resolvedKeys(by event: WardenEvent) -> [String] {
        guard let process = event.process else {
            return event.event == .poolAlertResolved ? [Self.poolKey(event)] : []
        }
        let fatal = ProcessState.fatal.rawValue + "|" + process
        let leakPrefix = WardenEvent.Kind.leakAlert.rawValue + "|" + process + "|"
        switch event.event {
        case .poolAlertResolved:
            return [Self.poolKey(event)]
        case .processAlertResolved:
            return [Self.processAlertKey(event)]
        case .processRemoved:
            return active.keys.filter { $0 == fatal || $0.hasPrefix(leakPrefix) }.sorted()
        case .stateChange:
            var keys: [String] = []
            if event.oldState == .fatal, event.newState != .fatal { keys.append(fatal) }
            if event.oldState == .running, event.newState != .running {
                keys += active.keys.filter { $0.hasPrefix(leakPrefix) }.sorted()
            }
            return keys
        case .severityChange:
            guard let grade = event.newSeverity.flatMap(SeverityGrade.init), grade < .graded(.critical) else { return [] }
            return [leakPrefix + TransitionReason.memoryGrowth.rawValue]
        default:
            return []
        }
    }

    // MARK: Rendering

    /// The alert for `event` (open: no `endsAt`).
    public static func alert(for event: WardenEvent, host: String) -> AlertmanagerAlert {
        let alertname: String
        switch event.event {
        case .poolAlert, .poolAlertResolved, .processAlert, .processAlertResolved: alertname = event.reason ?? event.event.rawValue
        case .stateChange: alertname = event.newState?.rawValue ?? event.event.rawValue
        default: alertname = event.event.rawValue
        }
        var labels = [
            "alertname": alertname,
            "severity": (Notifiable.severity(of: event) ?? .warning).rawValue,
            "host": host,
        ]
        // A pool alert's program is its worker's; one about the whole pool has none (the collector's name
        // is `collector`, not a program, and routing by program must not catch it).
        labels["program"] = event.program ?? (event.collector == nil ? event.process : nil)
        labels["instance"] = event.process ?? event.pool ?? event.collector
        labels["reason"] = event.alertReason ?? event.reason
        labels["collector"] = event.collector
        labels["pool"] = event.pool
        let annotations = [
            "summary": NotificationText.summary(event),
            "evidence": NotificationText.figures(event.evidence) ?? event.message ?? event.exitStatus ?? "",
        ]
        return AlertmanagerAlert(labels: labels, annotations: annotations, startsAt: event.time)
    }
}

extension WardenEvent.Kind {
    /// `pool-alert-resolved` or `process-alert-resolved`.
    public var isAlertResolution: Bool { self == .poolAlertResolved || self == .processAlertResolved }
}
