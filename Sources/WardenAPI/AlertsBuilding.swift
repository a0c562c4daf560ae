public import WardenCore

extension AlertList {
    /// Open and resolved alerts of every tracker (one per collector), oldest `started_at` first (ties by
    /// collector, then as `PoolAlertTracker.alerts` orders them).
    public init(trackers: [PoolAlertTracker]) {
        let alerts = trackers.enumerated().flatMap { position, tracker in
            tracker.alerts.enumerated().map { (alert: $1, order: (position, $0)) }
        }
        .sorted { a, b in
            a.alert.startedAt != b.alert.startedAt ? a.alert.startedAt < b.alert.startedAt
                : (a.alert.collector, a.order.0, a.order.1) < (b.alert.collector, b.order.0, b.order.1)
        }
        self.init(alerts: alerts.map { AlertStatus(alert: $0.alert) })
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
    /// What tells one alert from another: its subject and when it started.
    public struct Identity: Hashable, Sendable {
        var kind: String, collector: String, pool: String?, worker: String?, startedAt: String
    }

    public var identity: Identity {
        Identity(kind: kind, collector: collector, pool: pool, worker: worker, startedAt: startedAt)
    }

    /// The API view of one alert; times formatted as RFC 3339 UTC with milliseconds.
    public init(alert: PoolAlert) {
        self.init(
            kind: alert.kind.rawValue, severity: alert.severity.rawValue, collector: alert.collector, pool: alert.pool,
            worker: alert.worker, startedAt: RFC3339Text.string(secondsSinceEpoch: alert.startedAt),
            resolvedAt: alert.resolvedAt.map { RFC3339Text.string(secondsSinceEpoch: $0) }, message: alert.message)
    }
}
