import Foundation
import Testing
import WardenAPI
import WardenPluginProtocol
import WardenTestSupport
@testable import WardenCore

/// `PoolList` / `AlertList`: built from trackers, snake_case JSON with explicit nulls.
@Suite("Pool API types")
struct PoolsAPITests {
    static func json<T: Encodable>(_ value: T) throws -> [String: Any] {
        let data = try JSONEncoder().encode(value)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("PoolList carries every pool of every tracker, sorted, with the usage the alerts give (above 1 with superuser slots)")
    func poolList() throws {
        var postgres = PoolAlertTracker(collector: "postgres")
        var redis = PoolAlertTracker(collector: "redis")
        redis.record([poolSample(pool: "redis://127.0.0.1:6379", max: 10, inUse: 12)], at: 5, leakSustain: { _ in .zero })
        var local = poolSample(max: 200, inUse: 10, idle: 40, byWorker: ["api:0": 20], unattributed: 3, longRunning: [
            LongRunningConnection(id: "4242", worker: "api:0", state: "idle in transaction", ageSeconds: 312.5, client: nil)
        ])
        local.backendMemory = ["api:0": BackendMemory(backends: 20, rssBytes: 283_115_520, pssBytes: 61_865_984)]
        postgres.record([local], at: 5, leakSustain: { _ in .zero })
        let list = PoolList(trackers: [redis, postgres])
        #expect(list.pools.map(\.collector) == ["postgres", "redis"])
        let pg = list.pools[0]
        #expect(pg.usage == 0.25 && pg.inUse == 10 && pg.idle == 40 && pg.max == 200)
        #expect(pg.byWorker == ["api:0": 20] && pg.unattributed == 3)
        #expect(pg.longRunning == [LongRunningStatus(id: "4242", worker: "api:0", state: "idle in transaction", ageSeconds: 312.5, client: nil)])
        #expect(list.pools[1].usage == 1.2)  // 12 of 10: superuser slots, as the exhaustion alert says

        let object = try Self.json(list)
        let pools = try #require(object["pools"] as? [[String: Any]])
        let first = pools[0]
        #expect(Set(first.keys) == ["collector", "pool", "max", "in_use", "idle", "waiting", "usage", "by_worker",
                                    "unattributed", "long_running", "collected_at", "backend_memory"])
        #expect(first["waiting"] is NSNull)
        let memory = try #require((first["backend_memory"] as? [String: [String: Any]])?["api:0"])
        #expect(memory["backends"] as? Int == 20 && memory["rss_bytes"] as? Int == 283_115_520 && memory["pss_bytes"] as? Int == 61_865_984)
        #expect(pools[1]["backend_memory"] is NSNull, "Redis: one process serves every client")
        #expect(first["collected_at"] as? String == "2026-11-30T10:00:00Z")
        let longRunning = try #require(first["long_running"] as? [[String: Any]])
        #expect(longRunning.first?["age_seconds"] as? Double == 312.5)
        #expect(longRunning.first?["client"] is NSNull)
    }

    @Test("AlertList: every alert of every tracker, oldest first, RFC 3339 times, null worker and resolved_at")
    func alertList() throws {
        var postgres = PoolAlertTracker(collector: "postgres")
        postgres.record([poolSample(max: 10, inUse: 10)], at: 1_700_000_000, leakSustain: { _ in .zero })
        postgres.record([poolSample(max: 10, inUse: 1)], at: 1_700_000_010, leakSustain: { _ in .zero })
        var redis = PoolAlertTracker(collector: "redis")
        redis.raisePluginFailure("exited with status 1", at: 1_700_000_005)
        let list = AlertList(trackers: [redis, postgres])
        #expect(list.alerts.map(\.kind) == ["exhaustion", "plugin-failure"])
        let exhaustion = list.alerts[0]
        #expect(exhaustion.severity == "critical" && exhaustion.collector == "postgres" && exhaustion.pool == testPool)
        #expect(exhaustion.startedAt == "2023-11-14T22:13:20.000Z")
        #expect(exhaustion.resolvedAt == "2023-11-14T22:13:30.000Z")
        #expect(list.alerts[1].resolvedAt == nil && list.alerts[1].pool == nil)

        let object = try Self.json(list)
        let alerts = try #require(object["alerts"] as? [[String: Any]])
        #expect(Set(alerts[1].keys) == ["kind", "severity", "collector", "pool", "worker", "process", "reason", "occurrences",
                                        "evidence", "started_at", "resolved_at", "message"])
        #expect(alerts[1]["process"] is NSNull && alerts[1]["reason"] is NSNull && alerts[1]["occurrences"] as? Int == 1)
        #expect(alerts[1]["worker"] is NSNull && alerts[1]["resolved_at"] is NSNull && alerts[1]["pool"] is NSNull)
        #expect(alerts[1]["message"] as? String == "collector redis: exited with status 1")
    }

    @Test("alerts over a range: every open one, the resolved ones inside it, each once, oldest first")
    func alertsOverRange() {
        func alert(_ kind: String, _ started: Double, _ resolved: Double?) -> AlertStatus {
            AlertStatus(kind: kind, severity: "warning", collector: "pg", pool: "p", worker: nil,
                        startedAt: RFC3339Text.string(secondsSinceEpoch: started),
                        resolvedAt: resolved.map { RFC3339Text.string(secondsSinceEpoch: $0) }, message: kind)
        }
        let live = AlertList(alerts: [alert("open-long-ago", 100, nil), alert("just-resolved", 900, 990)])
        let recorded = [alert("before-range", 200, 400), alert("in-range", 300, 600), alert("just-resolved", 900, 990)]
        let merged = AlertList(live: live, recorded: recorded, range: HistoryRange(from: 500, to: 1_000))
        #expect(merged.alerts.map(\.kind) == ["open-long-ago", "in-range", "just-resolved"])
    }

    @Test("process alerts sit next to pool alerts, oldest first, with process, reason, occurrences and evidence")
    func processAlerts() throws {
        var pools = PoolAlertTracker(collector: "redis")
        pools.raisePluginFailure("exited with status 1", at: 1_700_000_010)
        var processes = ProcessAlertTracker()
        _ = processes.leakVerdict(process: "leak", program: "leak", reason: .memoryGrowth,
                                  evidence: .init(rssBytes: 1 << 30, rssGrowthMBPerMin: 31.5, windowSeconds: 300),
                                  message: "RSS growing 31.5 MiB/min", restarted: false, policy: RestartLoopPolicy(),
                                  at: 1_700_000_000)
        let list = AlertList(trackers: [pools], processes: processes)
        #expect(list.alerts.map(\.kind) == ["leak", "plugin-failure"])
        let leak = list.alerts[0]
        #expect(leak.process == "leak" && leak.collector == nil && leak.reason == "memory-growth" && leak.occurrences == 1)
        let object = try Self.json(list)
        let first = try #require((object["alerts"] as? [[String: Any]])?.first)
        let evidence = try #require(first["evidence"] as? [String: Any])
        #expect(evidence["rss_growth_mb_per_min"] as? Double == 31.5 && evidence["window_seconds"] as? Double == 300)
        #expect(first["collector"] is NSNull && first["process"] as? String == "leak")
        let data = try JSONEncoder().encode(list)
        #expect(try JSONDecoder().decode(AlertList.self, from: data) == list)
    }

    @Test("the JSON round-trips")
    func roundTrip() throws {
        let alert = AlertStatus(kind: "connection-leak", severity: "critical", collector: "pg", pool: "p", worker: "api:0",
                                startedAt: "2026-01-01T00:00:00.000Z", resolvedAt: nil, message: "m")
        let data = try JSONEncoder().encode(AlertList(alerts: [alert]))
        #expect(try JSONDecoder().decode(AlertList.self, from: data) == AlertList(alerts: [alert]))
    }
}
