package import WardenPluginProtocol

/// Pool identity used by the pool tests.
package let testPool = "postgres://127.0.0.1:5432/app"

/// A pool sample with only the fields a test cares about.
package func poolSample(
    pool: String = testPool, max: Int = 100, inUse: Int = 0, idle: Int = 0, waiting: Int? = nil,
    byWorker: [String: Int] = [:], unattributed: Int = 0, longRunning: [LongRunningConnection] = []
) -> PoolSample {
    PoolSample(
        pool: pool, max: max, inUse: inUse, idle: idle, waiting: waiting, byWorker: byWorker,
        unattributed: unattributed, longRunning: longRunning, collectedAt: "2026-11-30T10:00:00Z")
}
