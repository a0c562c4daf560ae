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

extension AlertStatus {
    /// The API view of one alert; times formatted as RFC 3339 UTC with milliseconds.
    public init(alert: PoolAlert) {
        self.init(
            kind: alert.kind.rawValue, severity: alert.severity.rawValue, collector: alert.collector, pool: alert.pool,
            worker: alert.worker, startedAt: RFC3339Text.string(secondsSinceEpoch: alert.startedAt),
            resolvedAt: alert.resolvedAt.map { RFC3339Text.string(secondsSinceEpoch: $0) }, message: alert.message)
    }
}
