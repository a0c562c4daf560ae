import Foundation
import Testing
import WardenCore
import WardenMetrics
import WardenPluginProtocol
import WardenTestSupport

/// The metrics subscriber driven through the event stream only, as the supervisor drives it.
@Suite("Metrics from the event stream")
struct MetricsSubscriberTests {
    /// Feeds `events` to a new subscriber, waits until it has applied them all, and returns its exposition.
    static func render(_ events: [SupervisionEvent], dropped: Int = 0) async -> String {
        let (stream, continuation) = AsyncStream<SupervisionEvent>.makeStream()
        let metrics = MetricsSubscriber(events: stream, droppedEvents: { dropped })
        for event in events { continuation.yield(event) }
        continuation.finish()
        await metrics.drained()
        return String(decoding: metrics.render(), as: UTF8.self)
    }

    /// `series → value` of every sample line (`name{labels}` exactly as rendered).
    static func samples(_ text: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            result[String(line[..<space])] = value
        }
        return result
    }

    static func record(_ kind: WardenEvent.Kind, _ process: String, from: ProcessState? = nil, to: ProcessState? = nil,
                       reason: any ReasonVocabulary, restart: TransitionReason? = nil) -> SupervisionEvent {
        .recorded(WardenEvent(time: "2026-12-06T05:00:00.000Z", process: process, program: "api", event: kind,
                              oldState: from, newState: to, reason: reason, restartReason: restart))
    }

    static func measurement(_ process: String, pid: Int32, rss: UInt64, cpu: Double?, severity: SeverityGrade,
                            growth: Double?) -> ProcessMeasurement {
        ProcessMeasurement(
            process: process, program: "api", pid: pid,
            observation: Observation(mainRSSBytes: rss, mainThreads: 3, mainFDs: 7, treeRSSBytes: rss * 2, fds: 9,
                                     threads: 5, processes: 2, cpuPercent: 1.5),
            severity: severity, rssGrowthMBPerMinute: growth, cpuSeconds: cpu, startTimeSeconds: 1_765_000_000,
            maxFDs: 1024)
    }

    static let pool = PoolSample(pool: "redis://127.0.0.1:6379", max: 100, inUse: 3, idle: 17, waiting: nil,
                                 byWorker: ["api:0": 12, "api:1": 4], unattributed: 4, longRunning: [],
                                 collectedAt: "2026-12-06T05:00:00.000Z")

    @Test("warden_sampling_rounds_late_total follows the rounds' running total, so a dropped round loses no late one")
    func lateRounds() async {
        let none = Self.samples(await Self.render([.sampled(SampleRound(secondsSinceEpoch: 1, processes: []))]))
        #expect(none["warden_sampling_rounds_late_total"] == 0)
        // The round that made the total 2 was dropped: the next one still carries it.
        let s = Self.samples(await Self.render([
            .sampled(SampleRound(secondsSinceEpoch: 1, processes: [], lateRounds: 1)),
            .sampled(SampleRound(secondsSinceEpoch: 3, processes: [], lateRounds: 2)),
            .sampled(SampleRound(secondsSinceEpoch: 4, processes: [], lateRounds: 2)),
        ]))
        #expect(s["warden_sampling_rounds_late_total"] == 2)
    }

    @Test("per-process series: gauges in base units, state and severity as state sets, restarts by reason, pid only in info")
    func processSeries() async {
        let text = await Self.render([
            Self.record(.processAdded, "api:0", to: .stopped, reason: EventReason.configured),
            Self.record(.stateChange, "api:0", from: .stopped, to: .starting, reason: TransitionReason.autostart),
            .sampled(SampleRound(secondsSinceEpoch: 1, processes: [
                Self.measurement("api:0", pid: 4242, rss: 50_000_000, cpu: 2.5, severity: .warmingUp, growth: nil),
            ], samplingCPUSeconds: 0.25)),
            Self.record(.stateChange, "api:0", from: .starting, to: .running, reason: TransitionReason.startSecondsElapsed),
            .sampled(SampleRound(secondsSinceEpoch: 2, processes: [
                Self.measurement("api:0", pid: 4242, rss: 60_000_000, cpu: 4.0, severity: .graded(.critical), growth: 30),
            ], samplingCPUSeconds: 0.5)),
        ], dropped: 3)
        let s = Self.samples(text)
        let id = #"program="api",instance="api:0""#
        #expect(s["warden_process_resident_memory_bytes{\(id)}"] == 60_000_000)
        #expect(s["warden_process_tree_resident_memory_bytes{\(id)}"] == 120_000_000)
        #expect(s["warden_process_open_fds{\(id)}"] == 7)
        #expect(s["warden_process_tree_open_fds{\(id)}"] == 9)
        #expect(s["warden_process_max_fds{\(id)}"] == 1024)
        #expect(s["warden_process_threads{\(id)}"] == 3)
        #expect(s["warden_process_cpu_seconds_total{\(id)}"] == 4.0)
        #expect(s["warden_process_start_time_seconds{\(id)}"] == 1_765_000_000)
        #expect(abs((s["warden_process_memory_growth_bytes_per_second{\(id)}"] ?? 0) - 30 * 1_048_576 / 60) < 1e-6)
        #expect(s["warden_process_leak_severity{\(id),severity=\"critical\"}"] == 1)
        #expect(s["warden_process_leak_severity{\(id),severity=\"warming-up\"}"] == 0)
        #expect(s["warden_process_state{\(id),state=\"RUNNING\"}"] == 1)
        #expect(s["warden_process_state{\(id),state=\"STARTING\"}"] == 0)
        #expect(s["warden_process_info{\(id),pid=\"4242\"}"] == 1)
        #expect(!s.keys.contains { $0.hasPrefix("warden_process_resident_memory_bytes") && $0.contains("pid") })
        #expect(s["warden_sampling_seconds_total"] == 0.75)
        #expect(s["warden_events_dropped_total"] == 3)
        #expect(text.contains("# TYPE warden_process_cpu_seconds_total counter"))
        #expect(text.contains("# TYPE warden_process_resident_memory_bytes gauge"))
        #expect((s["process_resident_memory_bytes"] ?? 0) > 1_000_000, "Warden's own RSS")
        #expect((s["process_start_time_seconds"] ?? 0) > 1_700_000_000)
    }

    /// Every family rendered has its `# HELP` line.
    static func expectHelpForEveryType(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = text.split(separator: "\n")
        let typed = lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        let helped = Set(lines.filter { $0.hasPrefix("# HELP ") }.map { $0.split(separator: " ")[2] })
        for name in typed { #expect(helped.contains(name), "no HELP for \(name)", sourceLocation: sourceLocation) }
    }

    @Test("series dropped and made again (a process gone, then back) keep their HELP")
    func helpAfterDropAndReAdd() async {
        let m = { (pid: Int32) in Self.measurement("api:0", pid: pid, rss: 1, cpu: 1, severity: .warmingUp, growth: nil) }
        let text = await Self.render([
            Self.record(.processAdded, "api:0", to: .stopped, reason: EventReason.configured),
            .sampled(SampleRound(secondsSinceEpoch: 1, processes: [m(1)])),
            Self.record(.stateChange, "api:0", from: .running, to: .backoff, reason: TransitionReason.exit),
            Self.record(.stateChange, "api:0", from: .backoff, to: .starting, reason: TransitionReason.backoffElapsed, restart: .exit),
            .sampled(SampleRound(secondsSinceEpoch: 2, processes: [m(2)])),
        ])
        #expect(text.contains("warden_process_resident_memory_bytes{"))
        Self.expectHelpForEveryType(text)
    }

    @Test("a restart counts under its reason; a state without a process drops the measurements; a new pid replaces info")
    func restartsAndProcessLoss() async {
        let first = Self.measurement("api:0", pid: 100, rss: 1_000, cpu: 9, severity: .graded(.none), growth: 0)
        let second = Self.measurement("api:0", pid: 200, rss: 2_000, cpu: 1, severity: .warmingUp, growth: nil)
        let text = await Self.render([
            Self.record(.processAdded, "api:0", to: .stopped, reason: EventReason.configured),
            .sampled(SampleRound(secondsSinceEpoch: 1, processes: [first])),
            Self.record(.stateChange, "api:0", from: .running, to: .stopping, reason: TransitionReason.memoryGrowth),
            Self.record(.stateChange, "api:0", from: .stopping, to: .starting, reason: TransitionReason.memoryGrowth,
                        restart: .memoryGrowth),
            .sampled(SampleRound(secondsSinceEpoch: 2, processes: [second])),
            Self.record(.stateChange, "api:0", from: .running, to: .backoff, reason: TransitionReason.exit),
            Self.record(.stateChange, "api:0", from: .backoff, to: .starting, reason: TransitionReason.backoffElapsed,
                        restart: .exit),
            Self.record(.stateChange, "api:0", from: .starting, to: .backoff, reason: TransitionReason.exitedBeforeStartSeconds),
            Self.record(.stateChange, "api:0", from: .backoff, to: .starting, reason: TransitionReason.backoffElapsed,
                        restart: .exit),
            Self.record(.stateChange, "api:0", from: .starting, to: .fatal, reason: TransitionReason.startRetriesExhausted),
        ])
        let s = Self.samples(text)
        let id = #"program="api",instance="api:0""#
        #expect(s["warden_process_restarts_total{\(id),reason=\"memory-growth\"}"] == 1)
        #expect(s["warden_process_restarts_total{\(id),reason=\"exit\"}"] == 2)
        #expect(s["warden_process_state{\(id),state=\"FATAL\"}"] == 1)
        #expect(!text.contains("warden_process_resident_memory_bytes{"), "no process, no measurements")
        #expect(!text.contains("warden_process_info{"))
        #expect(!text.contains("pid=\"100\""))
    }

    @Test("a removed instance's series disappear; pools follow their collector's rounds; alerts count while open")
    func removalPoolsAlerts() async {
        var first = Self.pool
        first.backendMemory = ["api:0": BackendMemory(backends: 12, rssBytes: 1, pssBytes: 1),
                               "api:1": BackendMemory(backends: 4, rssBytes: 2, pssBytes: 2)]
        var later = PoolSample(pool: Self.pool.pool, max: 100, inUse: 1, idle: 2, waiting: 0, byWorker: ["api:0": 3],
                               unattributed: 0, longRunning: [], collectedAt: "2026-12-06T05:00:05.000Z")
        later.backendMemory = ["api:0": BackendMemory(backends: 3, rssBytes: 30_000_000, pssBytes: 9_000_000)]
        let alert = { (kind: WardenEvent.Kind) in
            SupervisionEvent.recorded(WardenEvent(time: "2026-12-06T05:00:00.000Z", process: "api:0", event: kind,
                                                  reason: PoolAlert.Kind.connectionLeak))
        }
        let text = await Self.render([
            Self.record(.processAdded, "api:0", to: .stopped, reason: EventReason.configured),
            Self.record(.processAdded, "api:1", to: .stopped, reason: EventReason.configured),
            .sampled(SampleRound(secondsSinceEpoch: 1, processes: [
                Self.measurement("api:1", pid: 300, rss: 5, cpu: nil, severity: .warmingUp, growth: nil),
            ])),
            Self.record(.processRemoved, "api:1", reason: TransitionReason.removedByReload),
            .collected(PoolRound(collector: "redis", secondsSinceEpoch: 1, pools: [
                first,
                PoolSample(pool: "redis://127.0.0.1:6380", max: 10, inUse: 0, idle: 0, waiting: nil, byWorker: [:],
                           unattributed: 0, longRunning: [], collectedAt: "2026-12-06T05:00:00.000Z"),
            ])),
            .collected(PoolRound(collector: "redis", secondsSinceEpoch: 2, pools: [later])),
            alert(.poolAlert), alert(.poolAlert), alert(.poolAlertResolved),
        ])
        let s = Self.samples(text)
        #expect(!text.contains("instance=\"api:1\""))
        #expect(s["warden_process_state{program=\"api\",instance=\"api:0\",state=\"STOPPED\"}"] == 1)
        let pool = #"collector="redis",pool="redis://127.0.0.1:6379""#
        #expect(s["warden_pool_connections{\(pool),state=\"in_use\"}"] == 1)
        #expect(s["warden_pool_connections{\(pool),state=\"idle\"}"] == 2)
        #expect(s["warden_pool_max_connections{\(pool)}"] == 100)
        #expect(s["warden_pool_usage_ratio{\(pool)}"] == 0.03)
        #expect(s["warden_pool_worker_connections{\(pool),instance=\"api:0\"}"] == 3)
        #expect(s["warden_pool_backend_resident_memory_bytes{\(pool),instance=\"api:0\"}"] == 30_000_000)
        #expect(s["warden_pool_backend_proportional_memory_bytes{\(pool),instance=\"api:0\"}"] == 9_000_000)
        #expect(!text.contains("6380"), "a pool no longer reported is dropped")
        #expect(!text.contains("instance=\"api:1\""), "a worker no longer in by_worker is dropped")
        #expect(s["warden_alerts_active{kind=\"connection-leak\"}"] == 1)
        #expect(s["warden_alerts_active{kind=\"exhaustion\"}"] == 0)
    }

    @Test("promtool check metrics accepts the exposition (names, help, types, units)")
    func promtoolAccepts() async throws {
        var events: [SupervisionEvent] = []
        for index in 0..<5 {
            let name = "api:\(index)"
            events.append(Self.record(.processAdded, name, to: .stopped, reason: EventReason.configured))
            events.append(Self.record(.stateChange, name, from: .stopped, to: .running, reason: TransitionReason.autostart))
            events.append(Self.record(.stateChange, name, from: .running, to: .starting, reason: TransitionReason.manual,
                                      restart: .manual))
        }
        events.append(.sampled(SampleRound(secondsSinceEpoch: 1, processes: (0..<5).map {
            Self.measurement("api:\($0)", pid: Int32(100 + $0), rss: 1_000_000, cpu: 1, severity: .graded(.low), growth: 2)
        }, samplingCPUSeconds: 0.01)))
        events.append(.collected(PoolRound(collector: "redis", secondsSinceEpoch: 1, pools: [Self.pool])))
        let text = await Self.render(events)
        Self.expectHelpForEveryType(text)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("warden-metrics-\(getpid()).txt")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await ChildProcess.run("/bin/sh", ["-c", "promtool check metrics < '\(file.path)'"])
        #expect(result.status == 0, "promtool: \(result.stdout) \(result.stderr)")
        #expect(result.stdout.isEmpty && result.stderr.isEmpty, "promtool lint: \(result.stdout) \(result.stderr)")
    }
}
