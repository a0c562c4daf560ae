import Foundation
import Testing
import WardenAPI
import WardenCore
import WardenHistory

/// Process alerts (restart loops, leaks) in the history: rows with their reason, occurrences and evidence,
/// and a version-2 database (pool alerts only) that still opens and takes them.
@Suite("History: process alerts")
struct ProcessAlertHistoryTests {
    static func alert(_ kind: AlertKind, reason: TransitionReason, at started: Double, resolved: Double?,
                      occurrences: Int) -> ProcessAlert {
        var alert = ProcessAlert(kind: kind, severity: .critical, process: "crash", program: "crash", reason: reason,
                                 startedAt: started, occurrences: occurrences, message: "\(kind.rawValue) message",
                                 evidence: kind == .leak ? .init(rssBytes: 300 << 20, rssGrowthMBPerMin: 240, windowSeconds: 30) : nil,
                                 quietSeconds: 60)
        alert.resolvedAt = resolved
        return alert
    }

    static func events(now: Double) -> [SupervisionEvent] {
        let loop = alert(.restartLoop, reason: .exit, at: now - 600, resolved: nil, occurrences: 5)
        let leak = alert(.leak, reason: .memoryGrowth, at: now - 500, resolved: nil, occurrences: 1)
        return [.recorded(loop.record), .recorded(leak.record),
                .recorded(alert(.restartLoop, reason: .exit, at: now - 600, resolved: now - 300, occurrences: 9).record),
                .recorded(alert(.leak, reason: .memoryGrowth, at: now - 500, resolved: now - 200, occurrences: 3).record),
                HistorySubscriberTests.round(now - 1, [("crash", 4_096)])]
    }

    @Test("a resolved restart loop and leak come back from ?hours= with process, reason, final occurrences and evidence")
    func roundTrip() async throws {
        try await HistorySubscriberTests.inDirectory { directory in
            let now = Date().timeIntervalSince1970.rounded(.down)
            _ = try await HistorySubscriberTests.run(path: directory + "/h.sqlite", Self.events(now: now)) { history in
                let alerts = try await history.resolvedAlerts(range: HistoryRange(from: now - 3_600, to: now))
                #expect(alerts.map(\.kind) == ["restart-loop", "leak"])
                let loop = try #require(alerts.first), leak = try #require(alerts.last)
                #expect(loop.process == "crash" && loop.worker == nil && loop.collector == nil && loop.reason == "exit")
                #expect(loop.occurrences == 9 && loop.resolvedAt == RFC3339Text.string(secondsSinceEpoch: now - 300))
                #expect(leak.reason == "memory-growth" && leak.occurrences == 3 && leak.evidence?.rssGrowthMBPerMin == 240)
                #expect(leak.evidence?.windowSeconds == 30 && leak.evidence?.rssBytes == 300 << 20)
            }
        }
    }

    @Test("a restart loop and a leak left open by a killed Warden close at reopen with the occurrences recorded since they opened")
    func occurrencesAfterKill() async throws {
        try await HistorySubscriberTests.inDirectory { directory in
            let now = Date().timeIntervalSince1970.rounded(.down)
            func restart(_ reason: TransitionReason, at time: Double, process: String = "crash") -> SupervisionEvent {
                .recorded(WardenEvent(time: RFC3339Text.string(secondsSinceEpoch: time), process: process, program: process,
                                      event: .stateChange, oldState: .backoff, newState: .starting, reason: reason,
                                      restartReason: reason))
            }
            func verdict(_ kind: WardenEvent.Kind, at time: Double) -> SupervisionEvent {
                .recorded(WardenEvent(time: RFC3339Text.string(secondsSinceEpoch: time), process: "crash", program: "crash",
                                      event: kind, reason: TransitionReason.memoryGrowth, message: "memory-growth 240 MiB/min"))
            }
            let path = directory + "/h.sqlite"
            _ = try await HistorySubscriberTests.run(path: path, [
                restart(.exit, at: now - 601),
                .recorded(Self.alert(.restartLoop, reason: .exit, at: now - 600, resolved: nil, occurrences: 5).record),
                restart(.exit, at: now - 590), restart(.exit, at: now - 580), restart(.manual, at: now - 575),
                restart(.exit, at: now - 570, process: "other"), restart(.exit, at: now - 560),
                verdict(.leakRestart, at: now - 500),
                .recorded(Self.alert(.leak, reason: .memoryGrowth, at: now - 500, resolved: nil, occurrences: 1).record),
                verdict(.leakRestart, at: now - 400), verdict(.leakAlert, at: now - 300),
                HistorySubscriberTests.round(now - 1, [("crash", 4_096)]),
            ]) { _ in }
            // Reopened as after `kill -9`: both rows close with the occurrences counted since they opened.
            _ = try await HistorySubscriberTests.run(path: path, []) { history in
                let alerts = try await history.resolvedAlerts(range: HistoryRange(from: now - 3_600, to: now))
                #expect(alerts.map(\.kind) == ["restart-loop", "leak"])
                #expect(alerts.first?.occurrences == 8, "5 at the open + 3 restarts for exit of this process")
                #expect(alerts.last?.occurrences == 3, "1 at the open + 2 verdicts")
            }
        }
    }

    /// The `pool-alert` (open, `resolved == nil`) or `pool-alert-resolved` record of a long-running connection.
    static func longRunning(_ connection: String, at time: Double, resolved: Bool) -> SupervisionEvent {
        var record = WardenEvent(
            time: RFC3339Text.string(secondsSinceEpoch: time), process: "api:0",
            event: resolved ? .poolAlertResolved : .poolAlert, reason: PoolAlert.Kind.longRunning, collector: "pg",
            pool: "postgres://db", severity: .warning, message: "connection \(connection) idle in transaction")
        record.connection = connection
        return .recorded(record)
    }

    @Test("long-running alerts of two connections of one worker opened in one round stay two rows, each with its resolve")
    func longRunningPerConnection() async throws {
        try await HistorySubscriberTests.inDirectory { directory in
            let now = Date().timeIntervalSince1970.rounded(.down)
            let events = [Self.longRunning("101", at: now - 600, resolved: false), Self.longRunning("102", at: now - 600, resolved: false),
                          Self.longRunning("101", at: now - 300, resolved: true), Self.longRunning("102", at: now - 100, resolved: true),
                          HistorySubscriberTests.round(now - 1, [("crash", 4_096)])]
            _ = try await HistorySubscriberTests.run(path: directory + "/h.sqlite", events) { history in
                let range = HistoryRange(from: now - 3_600, to: now)
                let rows = try await history.resolvedAlerts(range: range)
                #expect(rows.map(\.connection) == ["101", "102"])
                #expect(rows.map(\.resolvedAt) == [now - 300, now - 100].map { RFC3339Text.string(secondsSinceEpoch: $0) })
                let listed = AlertList(live: AlertList(alerts: []), recorded: rows, range: range)
                #expect(listed.alerts.map(\.connection) == ["101", "102"], "the API keeps both")
            }
        }
    }

    @Test("a version-2 database (no reason, occurrences, evidence columns) is migrated and keeps its pool alerts")
    func migratesVersion2() async throws {
        try await HistorySubscriberTests.inDirectory { directory in
            let path = directory + "/h.sqlite"
            let now = Date().timeIntervalSince1970.rounded(.down)
            let started = Int((now - 900) * 1000), resolved = Int((now - 800) * 1000)
            let sql = """
                CREATE TABLE alerts (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, collector TEXT, pool TEXT,
                    worker TEXT, message TEXT, started_at INTEGER NOT NULL, resolved_at INTEGER, severity TEXT);
                INSERT INTO alerts (kind, collector, pool, worker, message, started_at, resolved_at, severity)
                    VALUES ('exhaustion', 'pg', 'postgres://db', NULL, 'old', \(started), \(resolved), 'critical');
                PRAGMA user_version = 2;
                """
            let sqlite = Process()
            sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            sqlite.arguments = [path, sql]
            try sqlite.run()
            sqlite.waitUntilExit()
            #expect(sqlite.terminationStatus == 0)
            _ = try await HistorySubscriberTests.run(path: path, Self.events(now: now)) { history in
                let health = await history.health()
                #expect(health.movedAside == 0, "migrated, not moved aside")
                let alerts = try await history.resolvedAlerts(range: HistoryRange(from: now - 3_600, to: now))
                #expect(alerts.map(\.kind) == ["exhaustion", "restart-loop", "leak"])
                #expect(alerts.first?.occurrences == 1 && alerts.first?.collector == "pg" && alerts.first?.process == nil)
                #expect(alerts[1].occurrences == 9)
            }
        }
    }
}
