import Testing
import WardenTestSupport
import WardenPluginProtocol
@testable import WardenCore

/// `exhaustion` and `high-usage`: thresholds, idle connections counted, de-duplication, resolution.
@Suite("Pool alerts: usage")
struct PoolsUsageAlertTests {
    @Test("usage is (in_use + idle) / max: idle connections occupy slots")
    func usageCountsIdle() {
        let snapshot = PoolSnapshot(collector: "pg", sample: poolSample(max: 200, inUse: 10, idle: 90, waiting: 7), recordedAt: 0)
        #expect(snapshot.usage == 0.5)
        #expect(PoolSnapshot.usage(of: poolSample(max: 0, inUse: 3)) == nil)
    }

    @Test("exhaustion is raised at the first check at or above 95 %, critical, and resolves below it")
    func exhaustion() throws {
        var run = PoolRun()
        let opened = run.check(poolSample(max: 100, inUse: 5, idle: 90))  // 95 %, mostly idle
        let alert = try #require(opened.opened.first { $0.kind == .exhaustion })
        #expect(alert.severity == .critical)
        #expect(alert.pool == testPool && alert.worker == nil && alert.resolvedAt == nil)
        #expect(alert.startedAt == run.now)
        #expect(alert.message.contains("95 %"))
        let startedAt = run.now

        let resolved = run.check(poolSample(max: 100, inUse: 5, idle: 89))  // 94 %
        #expect(resolved.resolved.map(\.kind) == [.exhaustion])
        #expect(run.open(.exhaustion).isEmpty)
        let history = try #require(run.tracker.resolvedAlerts.last)
        #expect(history.kind == .exhaustion && history.startedAt == startedAt && history.resolvedAt == run.now)
    }

    @Test("while exhaustion holds there is one open alert with its first start time; nothing is opened again")
    func deduplicated() {
        var run = PoolRun()
        run.check(poolSample(max: 100, inUse: 96))
        let firstStart = run.now
        for inUse in [97, 98, 100, 99] {
            let result = run.check(poolSample(max: 100, inUse: inUse))
            #expect(!result.opened.contains { $0.kind == .exhaustion })
        }
        #expect(run.open(.exhaustion).count == 1)
        #expect(run.open(.exhaustion).first?.startedAt == firstStart)
        #expect(run.open(.exhaustion).first?.message.contains("99 of 100") == true)  // message refreshed
        #expect(run.all(.exhaustion).count == 1)
    }

    @Test("a condition that clears and returns is a second alert, the first one kept in history")
    func reopened() {
        var run = PoolRun()
        run.check(poolSample(max: 10, inUse: 10))
        run.check(poolSample(max: 10, inUse: 1))
        run.check(poolSample(max: 10, inUse: 10))
        #expect(run.all(.exhaustion).count == 2)
        #expect(run.all(.exhaustion).filter(\.isOpen).count == 1)
    }

    @Test("high usage needs two consecutive checks at or above 80 %; a single burst sample raises nothing")
    func highUsageNeedsTwoChecks() throws {
        var run = PoolRun()
        #expect(run.check(poolSample(max: 100, inUse: 50, idle: 35)).opened.isEmpty)  // 85 %, first
        run.check(poolSample(max: 100, inUse: 20))  // back down: the run restarts
        #expect(run.check(poolSample(max: 100, inUse: 80)).opened.isEmpty)
        let opened = run.check(poolSample(max: 100, inUse: 81))
        let alert = try #require(opened.opened.first)
        #expect(alert.kind == .highUsage && alert.severity == .warning)
        #expect(!opened.opened.contains { $0.kind == .exhaustion })
        #expect(run.check(poolSample(max: 100, inUse: 79)).resolved.map(\.kind) == [.highUsage])
    }

    @Test("high_usage_checks = 1 raises high usage at once; above 95 % both usage alerts are open")
    func highUsageThresholds() {
        var run = PoolRun(thresholds: PoolThresholds(highUsageChecks: 1))
        #expect(run.check(poolSample(max: 100, inUse: 80)).opened.map(\.kind) == [.highUsage])
        run.check(poolSample(max: 100, inUse: 96))
        #expect(Set(run.tracker.openAlerts.map(\.kind)) == [.highUsage, .exhaustion])
    }

    @Test("an unknown limit (max 0) raises no usage alert")
    func unknownMax() {
        var run = PoolRun()
        for _ in 0..<3 { run.check(poolSample(max: 0, inUse: 50, idle: 50)) }
        #expect(run.tracker.openAlerts.isEmpty)
        #expect(run.tracker.pools.first?.usage == nil)
    }

    @Test("each pool has its own alerts; a pool missing from a round keeps its last state")
    func perPool() {
        var run = PoolRun()
        let other = "redis://127.0.0.1:6379"
        run.check(poolSample(max: 10, inUse: 10), poolSample(pool: other, max: 10, inUse: 1))
        #expect(run.open(.exhaustion).map(\.pool) == [testPool])
        run.check(poolSample(pool: other, max: 10, inUse: 10))
        #expect(run.open(.exhaustion).compactMap(\.pool).sorted() == [testPool, other].sorted())
        #expect(run.tracker.pools.map(\.sample.pool) == [testPool, other].sorted())
    }

    @Test("a second sample for the same pool in one round is ignored")
    func duplicatePoolInRound() {
        var run = PoolRun()
        run.check(poolSample(max: 10, inUse: 1), poolSample(max: 10, inUse: 10))
        #expect(run.tracker.openAlerts.isEmpty)
        #expect(run.tracker.pools.count == 1 && run.tracker.pools[0].sample.inUse == 1)
    }

    @Test("an exhausted pool's alert names its biggest holders, so the worker to look at is known even when no leak rule acts")
    func exhaustionNamesHolders() throws {
        var run = PoolRun()
        run.check(workerSample(["rleak": 49, "api:0": 5, "idle:0": 0, "jobs:0": 2, "web:0": 1], max: 60, unattributed: 1))
        let alert = try #require(run.open(.exhaustion).first)
        #expect(alert.message.hasSuffix("; biggest holders: rleak 49, api:0 5, jobs:0 2, unattributed 1"), "\(alert.message)")
    }
}
