import Testing
import WardenAPI
import WardenControlTestSupport
import WardenCore

/// `Recommendations.derive`: pure, driven by API values and events only.
@Suite("Recommendations")
struct RecommendationsTests {
    static let now = 1_800_000_000.0
    static func iso(_ secondsAgo: Double) -> String { RFC3339Text.string(secondsSinceEpoch: now - secondsAgo) }

    static func process(_ name: String, severity: String, rate: Double?, cleanup: String? = nil) -> ProcessStatus {
        var status = Fixtures.running(name, program: "api", pid: 1)
        status.leak = LeakStatus(severity: severity, rssGrowthMBPerMin: rate, fdGrowthPerMin: 0, threadGrowthPerMin: 0, samples: 30)
        status.cleanupSignal = cleanup
        return status
    }

    static func severityChange(_ name: String, to severity: String, secondsAgo: Double) -> WardenEvent {
        var event = WardenEvent(time: iso(secondsAgo), process: name, event: .severityChange)
        event.newSeverity = severity
        return event
    }

    static func pool(usage: Double, byWorker: [String: Int], unattributed: Int = 0) -> PoolStatus {
        PoolStatus(collector: "postgres", pool: "postgres://db:5432/app", max: 100, inUse: Int(usage * 100), idle: 0, waiting: nil,
                   usage: usage, byWorker: byWorker, unattributed: unattributed, longRunning: [], collectedAt: iso(0))
    }

    @Test("a worker graded medium cites its rate and how long since the grade, and advises cleanup_signal or rss_max")
    func sustainedGrowth() {
        let events = [Self.severityChange("api:1", to: "low", secondsAgo: 3_000), Self.severityChange("api:1", to: "medium", secondsAgo: 2_400)]
        let advice = Recommendations.derive(processes: [Self.process("api:1", severity: "medium", rate: 7.24)], pools: [],
                                            poolHistory: [], events: events, now: Self.now)
        #expect(advice == [Recommendation(kind: .sustainedGrowth, subject: "api:1", severity: "medium",
                                          text: "api:1 graded medium (7.2 MiB/min) for 40 min: set cleanup_signal or rss_max")])
    }

    @Test("a grade reached less than a minute ago, or a worker without a pid (being restarted), gives no advice; 90 s is cited as 1 min")
    func heldLongEnough() {
        let fresh = Recommendations.derive(processes: [Self.process("api:1", severity: "critical", rate: 90)], pools: [], poolHistory: [],
                                           events: [Self.severityChange("api:1", to: "critical", secondsAgo: 0)], now: Self.now)
        #expect(fresh.isEmpty, "\(fresh)")
        var restarting = Self.process("api:1", severity: "critical", rate: 90)
        restarting.pid = nil
        #expect(Recommendations.derive(processes: [restarting], pools: [], poolHistory: [],
                                       events: [Self.severityChange("api:1", to: "critical", secondsAgo: 600)], now: Self.now).isEmpty)
        let held = Recommendations.derive(processes: [Self.process("api:1", severity: "critical", rate: 90)], pools: [], poolHistory: [],
                                          events: [Self.severityChange("api:1", to: "critical", secondsAgo: 90)], now: Self.now)
        #expect(held.map(\.text) == ["api:1 graded critical (90.0 MiB/min) for 1 min: set cleanup_signal or rss_max"])
    }

    @Test("low or warming-up gives no advice; a set cleanup_signal changes the advice")
    func gradesAndCleanup() {
        let quiet = Recommendations.derive(processes: [Self.process("a", severity: "low", rate: 4), Self.process("b", severity: "warming-up", rate: nil)],
                                           pools: [], poolHistory: [], events: [], now: Self.now)
        #expect(quiet.isEmpty)
        let high = Recommendations.derive(processes: [Self.process("a", severity: "high", rate: 13, cleanup: "SIGUSR1")],
                                          pools: [], poolHistory: [], events: [], now: Self.now)
        #expect(high.first?.text == "a graded high (13.0 MiB/min): cleanup_signal SIGUSR1 is set but growth continues: "
                + "set rss_max, or check that the worker frees memory on SIGUSR1")
    }

    @Test("a pool at 85 % cites how long it held above 80 % from the history and the worker holding most")
    func poolPressure() {
        let points = [(4_000.0, 0.5), (3_600, 0.82), (1_800, 0.9), (0, 0.85)].map { ago, usage in
            PoolHistoryPoint(time: Self.iso(ago), inUse: usage * 100, idle: 0, max: 100, usage: usage, unattributed: 0, byWorker: [:])
        }
        let history = [PoolHistory(collector: "postgres", pool: "postgres://db:5432/app", resolutionSeconds: 60, points: points)]
        let advice = Recommendations.derive(processes: [], pools: [Self.pool(usage: 0.85, byWorker: ["api:0": 40, "api:1": 5], unattributed: 2)],
                                            poolHistory: history, events: [], now: Self.now)
        #expect(advice.map(\.text) == ["pool postgres://db:5432/app (postgres) at 85 % of 100 for 1 h: raise max_connections or find the holder, worker api:0 holds 40, 2 unattributed"])
        #expect(advice.first?.severity == "warning")
        #expect(Recommendations.derive(processes: [], pools: [Self.pool(usage: 0.96, byWorker: [:])], poolHistory: [], events: [], now: Self.now)
            .first?.severity == "critical")
        #expect(Recommendations.derive(processes: [], pools: [Self.pool(usage: 0.79, byWorker: [:])], poolHistory: [], events: [], now: Self.now).isEmpty)
    }

    @Test("three or more leak restarts in a day: the leak is in the code, with the last evidence; ranked first")
    func repeatedRestarts() {
        var restarts: [WardenEvent] = []
        for ago in [5_000.0, 4_000, 3_000, 2_000, 1_000, 100] {
            var event = WardenEvent(time: Self.iso(ago), process: "api:0", event: .leakRestart, reason: TransitionReason.memoryGrowth)
            event.evidence = .init(rssBytes: 536_870_912, rssGrowthMBPerMin: 31.24)
            restarts.append(event)
        }
        let advice = Recommendations.derive(processes: [Self.process("api:1", severity: "medium", rate: 7), Self.process("api:0", severity: "none", rate: 0)],
                                            pools: [], poolHistory: [], events: restarts, now: Self.now)
        #expect(advice.map(\.kind) == [.repeatedLeakRestarts, .sustainedGrowth])
        #expect(advice.first?.text == "api:0 restarted 6× for memory-growth in the last 24 h: restarting only hides it, "
                + "the leak is in the code; see the evidence (last: 31.2 MiB/min, RSS 512.0 MiB)")
        let two = Recommendations.derive(processes: [Self.process("api:0", severity: "none", rate: 0)], pools: [], poolHistory: [],
                                         events: Array(restarts.prefix(2)), now: Self.now)
        #expect(two.isEmpty)
    }
}

/// `AlertAttention`: acknowledged alerts stay quiet, snoozes end, bad input is refused.
@Suite("Alert acknowledgements")
struct AlertAttentionTests {
    @Test("acknowledge is quiet until cleared; snooze is quiet until its end, then loud again")
    func loudness() throws {
        var attention = AlertAttention()
        #expect(attention.loudness(of: "k", now: 0).0 == .loud)
        try attention.acknowledge("k", now: 10)
        #expect(attention.loudness(of: "k", now: 1_000_000).0 == .acknowledged)
        try attention.snooze("k", for: 900, now: 100)
        let snoozed = attention.loudness(of: "k", now: 999)
        #expect(snoozed.0 == .snoozed && snoozed.until == 1_000)
        #expect(attention.loudness(of: "k", now: 1_000).0 == .loud)
        attention.prune(keeping: ["k"], now: 1_000)
        #expect(attention.marks.isEmpty)
        try attention.acknowledge("k", now: 0)
        attention.clear("k")
        #expect(attention.loudness(of: "k", now: 0).0 == .loud)
    }

    @Test("empty or long keys, non-positive, endless or week-long-plus snoozes are refused")
    func refusals() {
        var attention = AlertAttention()
        #expect(throws: AlertAttention.Refusal.emptyKey) { try attention.acknowledge("", now: 0) }
        #expect(throws: AlertAttention.Refusal.keyTooLong(bytes: 1_025)) { try attention.acknowledge(String(repeating: "x", count: 1_025), now: 0) }
        for bad: Double in [0, -1, .infinity, .nan, 8 * 86_400] {
            #expect(throws: AlertAttention.Refusal.self) { try attention.snooze("k", for: bad, now: 0) }
        }
        #expect(attention.marks.isEmpty)
    }
}
