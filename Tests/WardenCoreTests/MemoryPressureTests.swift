import Testing
@testable import WardenCore

/// The host memory pressure rule, driven by PSI readings, times and candidates only.
@Suite("Memory pressure (PSI)")
struct MemoryPressureTests {
    /// A `/proc/pressure/memory` text with these `full`/`some` avg10 percentages.
    static func text(full: Double, some: Double? = nil, total: UInt64 = 1_000) -> String {
        let some = some ?? full * 1.5
        return "some avg10=\(some) avg60=\(some / 2) avg300=0.50 total=\(total * 2)\n"
            + "full avg10=\(full) avg60=\(full / 2) avg300=0.25 total=\(total)\n"
    }

    static func reading(full: Double) -> MemoryPressure { MemoryPressure(text: text(full: full))! }

    static let leaker = MemoryPressureGuard.Candidate(name: "leaky:0", severity: .graded(.critical), growing: true, rateMBPerMinute: 40)
    static let fasterLeaker = MemoryPressureGuard.Candidate(name: "leaky:1", severity: .graded(.critical), growing: true, rateMBPerMinute: 90)
    static let highNotCritical = MemoryPressureGuard.Candidate(name: "big:0", severity: .graded(.high), growing: true, rateMBPerMinute: 500)
    static let criticalBending = MemoryPressureGuard.Candidate(name: "cache:0", severity: .graded(.critical), growing: false, rateMBPerMinute: 300)

    /// Feeds one reading per second from `from` (seconds) with `full` avg10; returns each round's decision.
    static func rounds(_ guardian: inout MemoryPressureGuard, full: Double?, from: Int, to: Int,
                       candidates: [MemoryPressureGuard.Candidate]) -> [(Int, MemoryPressureGuard.Decision)] {
        var decisions: [(Int, MemoryPressureGuard.Decision)] = []
        for second in from...to {
            let reading = full.map { Self.reading(full: $0) }
            if let decision = guardian.observe(reading, now: .seconds(second), candidates: candidates) {
                decisions.append((second, decision))
            }
        }
        return decisions
    }

    @Test("the PSI file's some and full lines are parsed; a file without full, or junk, is no reading")
    func parse() throws {
        let reading = try #require(MemoryPressure(text: """
            some avg10=12.34 avg60=5.00 avg300=1.10 total=987654321
            full avg10=7.50 avg60=2.25 avg300=0.40 total=123456789

            """))
        #expect(reading.some.avg10 == 12.34 && reading.some.totalMicroseconds == 987_654_321)
        #expect(reading.full.avg10 == 7.5 && reading.full.avg60 == 2.25 && reading.full.avg300 == 0.4)
        #expect(reading.full.totalMicroseconds == 123_456_789)
        #expect(MemoryPressure(text: "some avg10=1.00 avg60=1.00 avg300=1.00 total=5\n") == nil)
        #expect(MemoryPressure(text: "") == nil)
        #expect(MemoryPressure(text: "some avg10=x avg60=1 avg300=1 total=5\nfull avg10=1 avg60=1 avg300=1 total=5") == nil)
    }

    @Test("a worker whose program is already being restarted for a leak waits: the next fastest of another program is chosen")
    func oneRestartPerProgram() throws {
        var guardian = MemoryPressureGuard(policy: MemoryPressurePolicy(fullAvg10Percent: 20, sustain: .zero, cooldown: .seconds(120)))
        let api = MemoryPressureGuard.Candidate(name: "api:1", program: "api", severity: .graded(.critical), growing: true, rateMBPerMinute: 90)
        let worker = MemoryPressureGuard.Candidate(name: "worker:0", program: "worker", severity: .graded(.critical), growing: true, rateMBPerMinute: 40)
        let decision = guardian.observe(Self.reading(full: 50), now: .seconds(1), candidates: [api, worker], restartingPrograms: ["api"])
        #expect(decision?.victim == "worker:0")
        var alone = MemoryPressureGuard(policy: MemoryPressurePolicy(fullAvg10Percent: 20, sustain: .zero, cooldown: .seconds(120)))
        #expect(alone.observe(Self.reading(full: 50), now: .seconds(1), candidates: [api], restartingPrograms: ["api"]) == nil)
        #expect(alone.state == .stalling(since: .seconds(1)), "no victim: the next round looks again")
    }

    @Test("sustained full stalls restart the fastest critical grower once, after the sustain, then cool down")
    func oneVictimPerEpisode() throws {
        var guardian = MemoryPressureGuard(policy: MemoryPressurePolicy(fullAvg10Percent: 20, sustain: .seconds(10), cooldown: .seconds(120)))
        let candidates = [Self.leaker, Self.fasterLeaker, Self.highNotCritical, Self.criticalBending]
        #expect(Self.rounds(&guardian, full: 5, from: 0, to: 20, candidates: candidates).isEmpty, "calm: nothing")
        #expect(guardian.state == .calm)
        let decisions = Self.rounds(&guardian, full: 45, from: 21, to: 100, candidates: candidates)
        #expect(decisions.count == 1, "exactly one victim in the episode and its cool-down")
        let (second, decision) = try #require(decisions.first)
        #expect(second == 31, "acted when the stall had lasted the 10 s sustain")
        #expect(decision.victim == "leaky:1", "the fastest-growing critical worker, not the faster high one")
        #expect(decision.evidence.pressure.full.avg10 == 45 && decision.evidence.rateMBPerMinute == 90)
        #expect(decision.evidence.stalledSeconds == 10 && decision.evidence.thresholdPercent == 20)
        #expect(decision.evidence.summary == "host memory pressure: full avg10 45.0 % (>= 20.0 %) for 10 s, some avg10 67.5 %; fastest critical grower at +90.0 MiB/min")
        #expect(decision.evidence.record.fullAvg10 == 45 && decision.evidence.record.fullTotalMicroseconds == 1_000)
        #expect(guardian.state == .coolingDown(victim: "leaky:1", at: .seconds(31), until: .seconds(151)))
        // After the cool-down, pressure still high: a new episode needs its own sustain.
        let later = Self.rounds(&guardian, full: 45, from: 101, to: 170, candidates: [Self.leaker])
        #expect(later.map(\.0) == [161] && later.first?.1.victim == "leaky:0")
    }

    @Test("a round under the threshold starts the sustain over")
    func interruptedStall() {
        var guardian = MemoryPressureGuard(policy: MemoryPressurePolicy(fullAvg10Percent: 20, sustain: .seconds(10)))
        var decisions = Self.rounds(&guardian, full: 30, from: 0, to: 8, candidates: [Self.leaker])
        decisions += Self.rounds(&guardian, full: 19.9, from: 9, to: 9, candidates: [Self.leaker])
        decisions += Self.rounds(&guardian, full: 30, from: 10, to: 19, candidates: [Self.leaker])
        #expect(decisions.isEmpty, "9 s, a dip, then 9 s: never 10 s in a row")
        decisions += Self.rounds(&guardian, full: 30, from: 20, to: 20, candidates: [Self.leaker])
        #expect(decisions.map(\.0) == [20])
    }

    @Test("no worker that is not critical and growing is ever chosen, however long the stall")
    func neverANonCriticalOrBendingWorker() {
        var guardian = MemoryPressureGuard(policy: MemoryPressurePolicy(fullAvg10Percent: 10, sustain: .seconds(5)))
        let steady = MemoryPressureGuard.Candidate(name: "steady:0", severity: .graded(.none), growing: false, rateMBPerMinute: 0)
        let shrinking = MemoryPressureGuard.Candidate(name: "odd:0", severity: .graded(.critical), growing: true, rateMBPerMinute: -3)
        let warming = MemoryPressureGuard.Candidate(name: "new:0", severity: .warmingUp, growing: false, rateMBPerMinute: 900)
        let decisions = Self.rounds(&guardian, full: 90, from: 0, to: 600,
                                    candidates: [steady, shrinking, warming, Self.highNotCritical, Self.criticalBending])
        #expect(decisions.isEmpty)
        #expect(guardian.state == .stalling(since: .zero), "still stalling, looking again every round")
        // A critical grower appearing later in the same episode is chosen at once (the stall is sustained).
        let late = Self.rounds(&guardian, full: 90, from: 601, to: 601, candidates: [steady, Self.leaker])
        #expect(late.map(\.1.victim) == ["leaky:0"])
    }

    @Test("without PSI (no file, a container) nothing happens and the state says unavailable; off is off")
    func unavailableAndOff() {
        var guardian = MemoryPressureGuard(policy: MemoryPressurePolicy(sustain: .seconds(1)))
        #expect(Self.rounds(&guardian, full: nil, from: 0, to: 30, candidates: [Self.leaker]).isEmpty)
        #expect(guardian.state == .unavailable && guardian.state.condition == .unavailable && guardian.last == nil)
        var off = MemoryPressureGuard(policy: MemoryPressurePolicy(enabled: false, sustain: .seconds(1)))
        #expect(Self.rounds(&off, full: 99, from: 0, to: 30, candidates: [Self.leaker]).isEmpty)
        #expect(off.state == .disabled && off.state.condition.rawValue == "disabled")
        off.policy.enabled = true
        #expect(Self.rounds(&off, full: 99, from: 31, to: 40, candidates: [Self.leaker]).map(\.0) == [32])
    }
}
