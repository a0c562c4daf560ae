import Testing
import WardenTestSupport
import WardenPluginProtocol
@testable import WardenCore

/// The guards against false connection-leak alarms (field reports P1, P3 and the list).
@Suite("Pool alerts: leak guards")
struct PoolsLeakGuardTests {
    @Test("P1: a burst whose ramp covers three checks and returns to baseline is not a leak")
    func burstReturnsToBaseline() {
        var run = PoolRun(sustain: .seconds(60))
        var suspected = false
        for count in [6, 6, 16, 26, 36, 36, 36, 6, 6] {
            run.counts([count])
            if run.tracker.leakSeries(pool: testPool, worker: "api:0")?.suspectedSince != nil { suspected = true }
        }
        #expect(suspected, "the ramp alone does make a suspicion: the guard is what stops it")
        #expect(run.verdicts.isEmpty)
        #expect(run.all(.connectionLeak).isEmpty)
        #expect(run.tracker.leakSeries(pool: testPool, worker: "api:0")?.suspectedSince == nil)
    }

    @Test("a burst is not a leak even with a sustain of one check interval")
    func burstShortSustain() {
        var run = PoolRun(sustain: .seconds(10))
        run.counts([10, 20, 30, 40, 40, 10])
        #expect(run.verdicts.isEmpty)
    }

    @Test("1 → 2 → 3 connections is not a leak (minimum count), even with no sustain")
    func smallCounts() {
        var run = PoolRun(sustain: .zero)
        run.counts([1, 2, 3, 4, 5])  // 5 is reached, but as the end of growth that started below it
        #expect(run.verdicts.isEmpty)
        #expect(run.all(.connectionLeak).isEmpty)
        var contrast = PoolRun(sustain: .zero)
        contrast.counts([5, 6, 7, 8])  // the same steps from the minimum are a leak
        #expect(contrast.verdicts.count == 1)
    }

    @Test("a steady pool held at its maximum is exhaustion, not a leak")
    func steadyAtMaximum() {
        var run = PoolRun(sustain: .seconds(60))
        for _ in 0..<20 { run.check(workerSample(["api:0": 97], max: 97)) }
        #expect(run.open(.exhaustion).count == 1)
        #expect(run.verdicts.isEmpty)
        #expect(run.all(.connectionLeak).isEmpty)
    }

    @Test("a pool that fills up to a plateau short of exhaustion and stays there is not a leak")
    func fillsThenHeld() {
        var run = PoolRun(sustain: .seconds(60))
        // Suspected at 70 (+2 conn/s, exhaustion 155 s away: beyond the sustain), then flat.
        for count in [0, 10, 20, 40, 70, 70, 70, 70, 70, 70, 70, 70] { run.check(workerSample(["api:0": count], max: 400)) }
        #expect(run.verdicts.isEmpty)
        #expect(run.all(.connectionLeak).isEmpty)
    }

    @Test("P3: a long-running active query is a long-running alert, not a connection leak")
    func longActiveQuery() {
        var run = PoolRun(sustain: .zero)
        for age in stride(from: 300.0, through: 420.0, by: 10) {
            run.check(poolSample(inUse: 1, idle: 2, byWorker: ["b:0": 3], longRunning: [
                LongRunningConnection(id: "4242", worker: "b:0", state: "active", ageSeconds: age, client: "127.0.0.1:5000")
            ]))
        }
        #expect(run.open(.longRunning).map(\.worker) == ["b:0"])
        #expect(run.open(.longRunning).first?.severity == .warning)
        #expect(run.verdicts.isEmpty && run.all(.connectionLeak).isEmpty)
        #expect(run.tracker.openAlerts.count == 1)
    }

    @Test("connections of a worker's children count for the worker: by_worker totals are judged as given")
    func childrenCountForWorker() {
        // The collector sums parent and children under the worker's name; the tracker must use that total.
        var run = PoolRun(sustain: .zero)
        for (parent, children) in [(2, 4), (2, 8), (2, 12), (2, 16)] {
            run.check(workerSample(["api:0": parent + children]))
        }
        #expect(run.verdicts.map(\.worker) == ["api:0"])
        #expect(run.verdicts.first?.evidence.counts == [6, 10, 14, 18])
    }

    @Test("growth of unattributed connections is never charged to a worker")
    func unattributedGrowth() {
        var run = PoolRun(sustain: .zero)
        for unattributed in [10, 20, 30, 40, 50] { run.check(workerSample(["api:0": 5], unattributed: unattributed)) }
        #expect(run.verdicts.isEmpty)
        #expect(run.all(.connectionLeak).isEmpty)
    }
}
