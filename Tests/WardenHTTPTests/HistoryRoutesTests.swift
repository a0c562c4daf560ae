import Foundation
import Synchronization
import Testing
import WardenAPI
import WardenControlTestSupport
import WardenCore

/// The history routes over the real control server, with a recording fake history behind them: every
/// bad parameter is a 400 naming it, an unknown process a 404, and good ones reach the history as ranges.
@Suite("History routes")
struct HistoryRoutesTests {
    /// Remembers the last query; knows processes `api:0`, `api:1` and a removed `old`.
    final class RecordingHistory: HistoryQuerying {
        let last = Mutex<(String, HistoryRange?, String?)>(("", nil, nil))

        func processHistory(_ name: String, range: HistoryRange) async throws -> ProcessHistory {
            last.withLock { $0 = ("process \(name)", range, nil) }
            return ProcessHistory(process: name, resolutionSeconds: 10, points: [
                HistoryPoint(time: "2026-12-06T05:00:00.000Z", rssBytes: 7, treeRSSBytes: 8, fds: 1, threads: 2,
                             cpuPercent: nil, severity: "none", rssGrowthMBPerMin: nil),
            ])
        }
        func poolHistory(collector: String?, range: HistoryRange) async throws -> PoolHistoryList {
            last.withLock { $0 = ("pools", range, collector) }
            return PoolHistoryList(pools: [])
        }
        func events(range: HistoryRange, processes: [String]?, kind: WardenEvent.Kind?) async throws -> EventList {
            last.withLock { $0 = ("events \(processes?.joined(separator: ",") ?? "-") \(kind?.rawValue ?? "-")", range, nil) }
            return EventList(events: [])
        }
        func resolvedAlerts(range: HistoryRange) async throws -> [AlertStatus] {
            last.withLock { $0 = ("alerts", range, nil) }
            return [AlertStatus(kind: "exhaustion", severity: "critical", collector: "pg", pool: "p", worker: nil,
                                startedAt: RFC3339Text.string(secondsSinceEpoch: range.to - 600),
                                resolvedAt: RFC3339Text.string(secondsSinceEpoch: range.to - 300), message: "was full")]
        }
        func health() async -> HistoryHealth {
            HistoryHealth(path: "/x", open: true, bytes: 4096, batchesWritten: 3, rowsWritten: 9, failedBatches: 0,
                          paused: false, movedAside: 0, lastError: nil)
        }
        func knows(process name: String) async -> Bool { name == "old" }
    }

    static func get(_ socket: String, _ target: String) async throws -> (status: Int, body: String) {
        let answer = try await rawHTTP(socketPath: socket, "GET \(target) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return (answer.status, answer.body)
    }

    @Test("bad parameters are 400s naming the parameter", arguments: [
        ("/v1/processes/api:0/history?hours=abc", "hours"), ("/v1/processes/api:0/history?hours=-1", "hours"),
        ("/v1/processes/api:0/history?hours=0", "hours"), ("/v1/processes/api:0/history?hours=", "hours"),
        ("/v1/processes/api:0/history?hours=1e9", "hours"), ("/v1/processes/api:0/history?hours=nan", "hours"),
        ("/v1/processes/api:0/history?hours=1&hours=2", "hours"),
        ("/v1/processes/api:0/history?hours=1&since=2026-12-06T00:00:00Z", "hours"),
        ("/v1/processes/api:0/history?since=yesterday", "since"), ("/v1/processes/api:0/history?until=2026-12-06T00:00:00Z", "since"),
        ("/v1/processes/api:0/history?since=2026-12-06T02:00:00Z&until=2026-12-06T01:00:00Z", "since"),
        ("/v1/processes/api:0/history?since=2026-12-06T01:00:00Z&until=soon", "until"),
        ("/v1/events?kind=bogus", "kind"), ("/v1/events?process=", "process"), ("/v1/pools/history?collector=", "collector"),
        ("/v1/pools/history?hours=%00", "hours"), ("/v1/events?hours=1&bogus=1", "bogus"),
        ("/v1/processes/api:0/history?hour=1", "hour"), ("/v1/pools/history?process=api:0", "process"),
        ("/v1/processes/api/history?hours=1", "name"), ("/v1/alerts?hours=x", "hours"), ("/v1/alerts?kind=exhaustion", "kind"),
        ("/v1/alerts?since=2026-12-06T02:00:00Z&until=2026-12-06T01:00:00Z", "since"),
        ("/v1/events?hours=1%00abc", "hours"), ("/v1/alerts?hours=0x10", "hours"), ("/v1/events?hours=1e2", "hours"),
        ("/v1/processes/\(String(repeating: "A", count: 60_000))/history?hours=1", "name"),
        ("/v1/events?process=\(String(repeating: "A", count: 60_000))", "process"),
        ("/v1/events?kind=\(String(repeating: "A", count: 60_000))", "kind"),
    ])
    func badParameters(target: String, field: String) async throws {
        try await withControlServer(FakeSupervisor(), history: RecordingHistory()) { socket in
            let answer = try await Self.get(socket, target)
            #expect(answer.status == 400, "\(target.prefix(80)): \(answer.body.prefix(300))")
            #expect(answer.body.utf8.count < 1_000, "a long name is quoted by its beginning only")
            #expect(answer.body.contains("\"field\":\"\(field)\""), "\(target): \(answer.body)")
        }
    }

    @Test("an unknown process is a 404; a removed one with history is answered")
    func unknownProcess() async throws {
        try await withControlServer(FakeSupervisor(), history: RecordingHistory()) { socket in
            let unknown = try await Self.get(socket, "/v1/processes/nope/history?hours=1")
            #expect(unknown.status == 404 && unknown.body.contains("\"field\":\"name\""))
            let removed = try await Self.get(socket, "/v1/processes/old/history?hours=1")
            #expect(removed.status == 200 && removed.body.contains("\"process\":\"old\""))
            let encoded = try await Self.get(socket, "/v1/processes/api%3A0/history?hours=1")
            #expect(encoded.status == 200 && encoded.body.contains("\"process\":\"api:0\""), "a percent-encoded name")
            let events = try await Self.get(socket, "/v1/events?process=nope")
            #expect(events.status == 404 && events.body.contains("\"field\":\"process\""))
        }
    }

    @Test("good ranges reach the history: hours ending now, since/until, the default last hour; health shows it")
    func ranges() async throws {
        let history = RecordingHistory()
        try await withControlServer(FakeSupervisor(), history: history) { socket in
            let before = Date().timeIntervalSince1970
            let answer = try await Self.get(socket, "/v1/processes/api:0/history?hours=6")
            #expect(answer.status == 200 && answer.body.contains("\"resolution_seconds\":10"))
            #expect(answer.body.contains("\"rss_bytes\":7"))
            let (what, range, _) = history.last.withLock { $0 }
            #expect(what == "process api:0")
            #expect(abs((range?.to ?? 0) - (range?.from ?? 0) - 6 * 3_600) < 0.001 && (range?.to ?? 0) >= before)

            _ = try await Self.get(socket, "/v1/events?since=2026-12-06T01:00:00Z&until=2026-12-06T03:00:00%2B01:00&process=api:1&kind=state-change")
            let events = history.last.withLock { $0 }
            #expect(events.0 == "events api:1 state-change")
            _ = try await Self.get(socket, "/v1/events?process=api")
            #expect(history.last.withLock { $0.0 } == "events api:0,api:1 -", "a program's events are its instances'")
            #expect(events.1 == HistoryRange(from: RFC3339Text.seconds("2026-12-06T01:00:00Z")!, to: RFC3339Text.seconds("2026-12-06T02:00:00Z")!))

            _ = try await Self.get(socket, "/v1/pools/history?collector=pg")
            let pools = history.last.withLock { $0 }
            #expect(pools.0 == "pools" && pools.2 == "pg" && abs((pools.1?.to ?? 0) - (pools.1?.from ?? 0) - 3_600) < 0.001)

            let alerts = try await Self.get(socket, "/v1/alerts?hours=2")
            #expect(alerts.status == 200 && alerts.body.contains("\"kind\":\"exhaustion\"") && alerts.body.contains("\"message\":\"was full\""))
            #expect(history.last.withLock { $0.0 } == "alerts")
            let live = try await Self.get(socket, "/v1/alerts")
            #expect(live.status == 200 && !live.body.contains("was full"), "without a range: the trackers only")

            let health = try await Self.get(socket, "/v1/health")
            #expect(health.body.contains("\"history\":{") && health.body.contains("\"batches_written\":3"))
        }
    }
}
