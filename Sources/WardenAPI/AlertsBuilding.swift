public import WardenCore

extension AlertList {
    /// Open and resolved alerts of every tracker (one per collector), oldest `started_at` first (ties by
    /// collector, then as `PoolAlertTracker.alerts` orders them).
    /// Process alerts (`processes`) come after pool alerts that started at the same time.
    public init(trackers: [PoolAlertTracker], processes: ProcessAlertTracker = ProcessAlertTracker()) {
        let pool = trackers.enumerated().flatMap { position, tracker in
            tracker.alerts.enumerated().map { (start: $1.startedAt, order: (0, $1.collector, position, $0), status: AlertStatus(alert: $1)) }
        }
        let process = processes.alerts.enumerated().map {
            (start: $1.startedAt, order: (1, "", 0, $0), status: AlertStatus(alert: $1))
        }
        let alerts = (pool + process).sorted { a, b in
            a.start != b.start ? a.start < b.start : a.order < b.order
        }
        self.init(alerts: alerts.map(\.status))
    }
}

extension AlertList {
    /// `GET /v1/alerts?hours=`: the open alerts of `live`, plus the alerts resolved in `range`, from `live`
    /// (recently resolved, maybe not yet written) and from `recorded` (the history), each once; oldest
    /// `started_at` first.
    public init(live: AlertList, recorded: [AlertStatus], range: HistoryRange) {
        func inRange(_ alert: AlertStatus) -> Bool {
            guard let text = alert.resolvedAt else { return true }
            guard let resolved = RFC3339Text.seconds(text) else { return false }
            return resolved >= range.from && resolved <= range.to
        }
        var seen = Set<AlertStatus.Identity>()
        var merged: [AlertStatus] = []
        for alert in live.alerts + recorded where inRange(alert) && seen.insert(alert.identity).inserted {
            merged.append(alert)
        }
        // RFC 3339 UTC texts with milliseconds sort as their times do.
        self.init(alerts: merged.enumerated().sorted { a, b in
            a.element.startedAt != b.element.startedAt ? a.element.startedAt < b.element.startedAt : a.offset < b.offset
        }.map(\.element))
    }
}

extension AlertStatus {
    /// What tells one alert from another: its subject (for `long-running`, its connection) and when it started.
    public struct Identity: Hashable, Sendable {
        var kind: String, collector: String?, pool: String?, worker: String?, connection: String?, process: String?
        var reason: String?
        var startedAt: String
    }

    public var identity: Identity {
        Identity(kind: kind, collector: collector, pool: pool, worker: worker, connection: connection, process: process, reason: reason,
                 startedAt: startedAt)
    }

    /// The API view of one alert; times formatted as RFC 3339 UTC with milliseconds.
    public init(alert: PoolAlert) {
        self.init(
            kind: alert.kind.rawValue, severity: alert.severity.rawValue, collector: alert.collector, pool: alert.pool,
            worker: alert.worker, connection: alert.connection, startedAt: RFC3339Text.string(secondsSinceEpoch: alert.startedAt),
            resolvedAt: alert.resolvedAt.map { RFC3339Text.string(secondsSinceEpoch: $0) }, message: alert.message)
        occurrences = alert.occurrences
        evidence = alert.forecast.map(WardenEvent.Evidence.init(forecast:))
    }

    /// The API view of one process alert.
    public init(alert: ProcessAlert) {
        self.init(
            kind: alert.kind.rawValue, severity: alert.severity.rawValue, collector: nil, pool: nil, worker: nil,
            process: alert.process, reason: alert.reason.rawValue, occurrences: alert.occurrences, evidence: alert.evidence,
            startedAt: RFC3339Text.string(secondsSinceEpoch: alert.startedAt),
            resolvedAt: alert.resolvedAt.map { RFC3339Text.string(secondsSinceEpoch: $0) }, message: alert.message)
    }
}
