public import WardenCore
import WardenPluginProtocol

extension PoolList {
    /// The pools of every tracker (one per collector), sorted by collector, then pool.
    public init(trackers: [PoolAlertTracker]) {
        let snapshots = trackers.flatMap(\.pools).sorted { ($0.collector, $0.sample.pool) < ($1.collector, $1.sample.pool) }
        self.init(pools: snapshots.map(PoolStatus.init(snapshot:)))
    }
}

extension PoolStatus {
    /// The API view of one tracked pool; `usage` as the alerts and `/metrics` see it (never below 0, above 1
    /// while superuser-reserved connections are in use).
    public init(snapshot: PoolSnapshot) {
        let sample = snapshot.sample
        self.init(
            collector: snapshot.collector, pool: sample.pool, max: sample.max, inUse: sample.inUse, idle: sample.idle,
            waiting: sample.waiting, usage: snapshot.usage.map { Swift.max(0, $0) },
            byWorker: sample.byWorker, unattributed: sample.unattributed,
            longRunning: sample.longRunning,
            collectedAt: sample.collectedAt, backendMemory: sample.backendMemory)
    }
}
