import Testing
import WardenTestSupport
import WardenPluginProtocol
@testable import WardenCore

/// `connection-leak`: the growth streak, sustain, verdicts once per episode, resolution, evidence.
@Suite("Pool alerts: connection leaks")
struct PoolsLeakTests {
    @Test("a leak of 10 connections per check is suspected after 3 growing checks and a verdict after sustain")
    func steadyLeak() throws {
        var run = PoolRun(sustain: .seconds(20))
        run.counts([12, 22, 32, 42])  // three growing checks: suspected at the 4th check
        #expect(run.verdicts.isEmpty)
        #expect(run.tracker.leakSeries(pool: testPool, worker: "api:0")?.suspectedSince == run.now)
        run.counts([52])  // held 10 s
        #expect(run.verdicts.isEmpty)
        run.counts([62])  // held 20 s: verdict
        let verdict = try #require(run.verdicts.first)
        #expect(run.verdicts.count == 1)
        #expect(verdict.worker == "api:0" && verdict.pool == testPool && verdict.collector == "postgres")
        #expect(verdict.evidence.baseline == 12)
        #expect(verdict.evidence.counts == [12, 22, 32, 42, 52, 62])
        #expect(verdict.evidence.checks == 5)
        #expect(verdict.evidence.growthPerCheck.count == 5)
        #expect(abs(verdict.evidence.growthPerCheck[0] - 10.0 / 12.0) < 1e-9)
        #expect(verdict.evidence.sustainSeconds == 20)

        let alert = try #require(run.open(.connectionLeak).first)
        #expect(alert.severity == .critical && alert.worker == "api:0" && alert.pool == testPool)
        #expect(alert.startedAt == run.now)
        #expect(alert.leakEvidence == verdict.evidence)
        #expect(alert.message.contains("12 → 22 → 32 → 42 → 52 → 62"))
    }

    @Test("growth is measured against the streak's baseline, so a linear leak keeps qualifying as it grows")
    func linearLeakKeepsQualifying() {
        var run = PoolRun(sustain: .seconds(90))
        // +10 per check from 12: the last steps are +11 %, +10 %, +9 % of the previous count.
        run.counts(Array(stride(from: 12, through: 132, by: 10)))
        #expect(run.verdicts.count == 1)
        #expect(run.verdicts.first?.evidence.baseline == 12)
    }

    @Test("the verdict is reported once per episode; the episode ends when the count falls back to its baseline")
    func oncePerEpisode() {
        var run = PoolRun(sustain: .zero)
        run.counts([10, 20, 30, 40])
        #expect(run.verdicts.count == 1)
        run.counts([50, 60, 70, 70, 80, 90, 100, 110])  // a second streak inside the episode
        #expect(run.verdicts.count == 1)
        #expect(run.open(.connectionLeak).count == 1)
        run.counts([15])  // still above the baseline 10: the leaked connections are still held
        #expect(run.open(.connectionLeak).count == 1)
        run.counts([0])  // restarted: everything given back
        #expect(run.open(.connectionLeak).isEmpty)
        #expect(run.all(.connectionLeak).first?.resolvedAt == run.now)
        run.counts([10, 20, 30, 40])  // a new leak is a new episode
        #expect(run.verdicts.count == 2)
        #expect(run.all(.connectionLeak).count == 2)
    }

    @Test("workerRestarted resolves the worker's leak alert and forgets its counts")
    func workerRestarted() {
        var run = PoolRun(sustain: .zero)
        run.counts([10, 20, 30, 40])
        #expect(run.open(.connectionLeak).count == 1)
        let result = run.tracker.workerRestarted("api:0", at: run.now + 1)
        #expect(result.resolved.map(\.kind) == [.connectionLeak])
        #expect(run.tracker.leakSeries(pool: testPool, worker: "api:0") == nil)
        // The new process refills to 12: above the old baseline, and no growth across the restart.
        run.counts([12, 12])
        #expect(run.open(.connectionLeak).isEmpty)
        #expect(run.verdicts.count == 1)
    }

    @Test("sustain comes from the worker's program: each worker is judged with its own")
    func perWorkerSustain() {
        var tracker = PoolAlertTracker(collector: "postgres")
        let sustain: (String) -> Duration = { $0.hasPrefix("fast") ? .zero : .seconds(3600) }
        var verdicts: [String] = []
        for (step, count) in [10, 20, 30, 40, 50].enumerated() {
            let result = tracker.record(
                [workerSample(["fast:0": count, "slow:0": count])], at: Double(step) * 10, leakSustain: sustain)
            verdicts += result.leakVerdicts.map(\.worker)
        }
        #expect(verdicts == ["fast:0"])
    }

    @Test("a fall during the streak ends it and its suspicion")
    func fallEndsStreak() {
        var run = PoolRun(sustain: .seconds(20))
        run.counts([10, 20, 30, 40, 50, 45, 55, 65])
        #expect(run.verdicts.isEmpty)
        let series = run.tracker.leakSeries(pool: testPool, worker: "api:0")
        #expect(series?.growingChecks == 2 && series?.baseline == 45)
    }

    @Test("growth below leak_growth of the baseline is not a leak")
    func slowGrowth() {
        var run = PoolRun(sustain: .zero)
        run.counts([40, 43, 46, 49, 52, 55])  // +3 on 40 is 7.5 % per check
        #expect(run.verdicts.isEmpty)
        var steeper = PoolRun(sustain: .zero)
        steeper.counts([40, 44, 48, 52])  // +4 on 40 is exactly 10 %
        #expect(steeper.verdicts.count == 1)
    }

    @Test("workers are judged independently: one leaking, one steady")
    func independentWorkers() {
        var run = PoolRun(sustain: .zero)
        for step in 0..<6 { run.check(workerSample(["leaky:0": 10 + 10 * step, "steady:0": 5])) }
        #expect(run.verdicts.map(\.worker) == ["leaky:0"])
        #expect(run.open(.connectionLeak).map(\.worker) == ["leaky:0"])
    }
}

/// Leaks slower than the collect interval: flat checks between growing ones (field report: one PostgreSQL
/// connection every 6 s, checked every 3 s, filled the pool with no verdict).
@Suite("Pool alerts: slow connection leaks")
struct PoolsSlowLeakTests {
    /// One connection every second check, from 0 to `top`.
    static func everyOtherCheck(to top: Int) -> [Int] { (0...(2 * top)).map { $0 / 2 } }

    @Test("one connection every 6 s checked every 3 s is a verdict after its sustain, its flat checks in the evidence")
    func leakSlowerThanInterval() throws {
        var run = PoolRun(sustain: .seconds(60), interval: 3)
        run.counts(Self.everyOtherCheck(to: 26), worker: "pgleak:0")
        let verdict = try #require(run.verdicts.first)
        #expect(run.verdicts.count == 1 && !verdict.evidence.beforeSustain)
        #expect(verdict.evidence.baseline == 5)
        #expect(verdict.evidence.counts.prefix(4) == [5, 6, 6, 7])
        #expect(verdict.evidence.checks < verdict.evidence.growthPerCheck.count)
        #expect(run.open(.connectionLeak).first?.message.contains("growing)") == true)
    }

    @Test("one connection every 4th check still is a leak; every 5th (more flat checks than leak_flat_checks) is not")
    func flatToleranceBound() {
        var slow = PoolRun(sustain: .seconds(30), interval: 3)
        slow.counts((0...120).map { $0 / 4 })
        #expect(slow.verdicts.count == 1)
        var slower = PoolRun(sustain: .seconds(30), interval: 3)
        slower.counts((0...150).map { $0 / 5 })
        #expect(slower.verdicts.isEmpty)
    }

    @Test("a pool already exhausted with a slowly leaking suspect is a verdict at once, at a flat check too")
    func exhaustedPoolSlowLeak() throws {
        var run = PoolRun(sustain: .seconds(600), interval: 3)
        // pgleak grows one every 6 s beside a steady worker in a pool of 100 (exhausted at 95): suspected at
        // 8 far from exhaustion; then the other worker fills the pool while pgleak is flat.
        for (leaker, other) in [(5, 20), (5, 20), (6, 20), (6, 20), (7, 20), (7, 20), (8, 20)] {
            run.check(workerSample(["pgleak:0": leaker, "other:0": other], max: 100))
        }
        #expect(run.verdicts.isEmpty && run.tracker.leakSeries(pool: testPool, worker: "pgleak:0")?.suspectedSince != nil)
        run.check(workerSample(["pgleak:0": 8, "other:0": 90], max: 100))
        let verdict = try #require(run.verdicts.first)
        #expect(verdict.worker == "pgleak:0" && verdict.evidence.beforeSustain)
        #expect(verdict.evidence.counts.last == 8 && verdict.evidence.forecast?.secondsToExhaustion == 0)
    }

    @Test("a slow ramp that stops on a plateau never reaches a verdict, however long the sustain has passed")
    func slowRampThenPlateau() {
        var run = PoolRun(sustain: .seconds(10), interval: 3)
        run.counts([5, 5, 6, 6, 7, 7, 8] + Array(repeating: 8, count: 30))
        #expect(run.verdicts.isEmpty)
        #expect(run.tracker.leakSeries(pool: testPool, worker: "api:0")?.suspectedSince == nil)
    }
}
