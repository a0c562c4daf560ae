import WardenPluginProtocol
import WardenTestSupport
@testable import WardenCore

/// A sample where `byWorker` holds every connection, all idle.
func workerSample(_ byWorker: [String: Int], max: Int = 1000, unattributed: Int = 0) -> PoolSample {
    let total = byWorker.values.reduce(0, +) + unattributed
    return poolSample(max: max, idle: total, byWorker: byWorker, unattributed: unattributed)
}

/// A tracker driven one check every `interval` seconds from `start`, with one leak `sustain` for all workers.
struct PoolRun {
    var tracker: PoolAlertTracker
    var now: Double
    let interval: Double
    var sustain: Duration
    /// Every verdict reported so far, in order.
    var verdicts: [ConnectionLeakVerdict] = []

    init(thresholds: PoolThresholds = PoolThresholds(), sustain: Duration = .seconds(60), start: Double = 1_800_000_000,
         interval: Double = 10, historyLimit: Int = 200) {
        tracker = PoolAlertTracker(collector: "postgres", thresholds: thresholds, historyLimit: historyLimit)
        now = start - interval
        self.interval = interval
        self.sustain = sustain
    }

    /// Records `samples` at the next check time.
    @discardableResult
    mutating func check(_ samples: PoolSample...) -> PoolCheckResult {
        now += interval
        let sustain = self.sustain
        let result = tracker.record(samples, at: now, leakSustain: { _ in sustain })
        verdicts += result.leakVerdicts
        return result
    }

    /// One check per count of `worker` (all its connections idle, nothing else in the pool).
    mutating func counts(_ counts: [Int], worker: String = "api:0", max: Int = 1000) {
        for count in counts { check(workerSample([worker: count], max: max)) }
    }

    /// Open alerts of `kind`.
    func open(_ kind: PoolAlert.Kind) -> [PoolAlert] { tracker.openAlerts.filter { $0.kind == kind } }

    /// Open and resolved alerts of `kind`.
    func all(_ kind: PoolAlert.Kind) -> [PoolAlert] { tracker.alerts.filter { $0.kind == kind } }
}
