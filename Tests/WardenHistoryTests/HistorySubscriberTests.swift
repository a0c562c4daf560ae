import Foundation
import Logging
import Testing
import WardenAPI
import WardenCore
import WardenHistory
import WardenPluginProtocol

/// The history subscriber on a real SQLite file, driven through the event stream only.
@Suite("History in SQLite")
struct HistorySubscriberTests {
    /// A fresh directory, removed after `body`.
    static func inDirectory(_ body: (String) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "warden-history-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(directory)
    }

    static var logger: Logger {
        var logger = Logger(label: "warden.test.history")
        logger.logLevel = .critical
        return logger
    }

    /// Feeds `events` to a subscriber on `path`, waits until the database is open and every round written,
    /// runs `body` (queries need the open database), then finishes the stream and waits for the writer.
    static func run(path: String, _ events: [SupervisionEvent], sampleInterval: Double = 1, opens: Bool = true,
                    _ body: (HistorySubscriber) async throws -> Void = { _ in }) async throws -> HistorySubscriber {
        let (stream, continuation) = AsyncStream<SupervisionEvent>.makeStream()
        let history = HistorySubscriber(
            events: stream, settings: .init(path: path, retention: 7 * 86_400, maxBytes: 1_000_000_000, sampleInterval: sampleInterval),
            logger: logger)
        for event in events { continuation.yield(event) }
        // Wait until the last round is written (its batch count shows in health).
        let rounds = events.filter { if case .sampled = $0 { true } else { false } }.count
        if opens {
            for _ in 0..<500 where await !history.health().open { try await Task.sleep(for: .milliseconds(10)) }
            for _ in 0..<500 where await history.health().batchesWritten < rounds { try await Task.sleep(for: .milliseconds(10)) }
        }
        try await body(history)
        continuation.finish()
        await history.drained()
        return history
    }

    static func round(_ time: Double, _ processes: [(String, UInt64)]) -> SupervisionEvent {
        .sampled(SampleRound(secondsSinceEpoch: time, processes: processes.map { name, rss in
            ProcessMeasurement(process: name, program: "api", pid: 42,
                               observation: Observation(mainRSSBytes: rss, mainThreads: 3, mainFDs: 8, treeRSSBytes: rss + 8_192,
                                                        fds: 10, threads: 5, processes: 2, cpuPercent: 2.5),
                               severity: .graded(.low), rssGrowthMBPerMinute: 4)
        }))
    }

    @Test("every round is written (raw samples and the rollups it closes) and read back in range, oldest first")
    func roundTrip() async throws {
        try await Self.inDirectory { directory in
            let now = Date().timeIntervalSince1970.rounded(.down)
            let start = now - 120
            // RSS is whole pages, as /proc reports it (the raw tier stores pages).
            let rounds = (0..<120).map { Self.round(start + Double($0), [("api:0", UInt64(4_096 * (250 + $0))), ("api:1", 20_480)]) }
            _ = try await Self.run(path: directory + "/h.sqlite", rounds) { history in
                let raw = try await history.processHistory("api:0", range: HistoryRange(from: start - 1, to: now))
                #expect(raw.resolutionSeconds == 0 && raw.points.count == 120)
                #expect(raw.points.first?.rssBytes == 4_096 * 250 && raw.points.last?.rssBytes == 4_096 * 369)
                #expect(raw.points.first?.treeRSSBytes == 4_096 * 252 && raw.points.first?.fds == 8 && raw.points.first?.threads == 3)
                #expect(raw.points.first?.severity == "low" && raw.points.first?.cpuPercent == 2.5)
                #expect(raw.points.first?.time == RFC3339Text.string(secondsSinceEpoch: start))
                #expect(raw.points.map(\.time) == raw.points.map(\.time).sorted())
                let other = try await history.processHistory("api:1", range: HistoryRange(from: start - 1, to: now))
                #expect(other.points.count == 120 && other.points.allSatisfy { $0.rssBytes == 20_480 })
                let health = await history.health()
                #expect(health.batchesWritten >= 120 && health.failedBatches == 0 && health.rowsWritten >= 240)
                #expect(await history.knows(process: "api:0"))
                #expect(!(await history.knows(process: "nope")))
            }
            // Reopened: the history survives, with the rollups the finished stream flushed.
            _ = try await Self.run(path: directory + "/h.sqlite", []) { history in
                let again = try await history.processHistory("api:0", range: HistoryRange(from: start - 1, to: now))
                #expect(again.points.count == 120)
            }
            let mode = try FileManager.default.attributesOfItem(atPath: directory + "/h.sqlite")[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    @Test("instances that come, go and change order between rounds each keep their own samples")
    func changingInstances() async throws {
        try await Self.inDirectory { directory in
            let now = Date().timeIntervalSince1970.rounded(.down)
            let start = now - 60
            // a in every round; b in the first 20; c from round 10 on, listed first; d after a reopen.
            let rounds = (0..<40).map { i -> SupervisionEvent in
                var processes: [(String, UInt64)] = []
                if i >= 10 { processes.append(("c", 4_096 * 3)) }
                processes.append(("a", 4_096 * 1))
                if i < 20 { processes.append(("b", 4_096 * 2)) }
                return Self.round(start + Double(i), processes)
            }
            _ = try await Self.run(path: directory + "/h.sqlite", rounds) { _ in }
            let later = (40..<50).map { Self.round(start + Double($0), [("d", 4_096 * 4), ("a", 4_096 * 1)]) }
            _ = try await Self.run(path: directory + "/h.sqlite", later) { history in
                let range = HistoryRange(from: start - 1, to: now)
                for (name, count, pages) in [("a", 50, 1), ("b", 20, 2), ("c", 30, 3), ("d", 10, 4)] {
                    let points = try await history.processHistory(name, range: range).points
                    #expect(points.count == count && points.allSatisfy { $0.rssBytes == UInt64(4_096 * pages) }, "\(name)")
                }
            }
        }
    }

    @Test("events are kept whole and filtered by process and kind; pool rounds come back per pool")
    func eventsAndPools() async throws {
        try await Self.inDirectory { directory in
            let now = Date().timeIntervalSince1970
            let time = RFC3339Text.string(secondsSinceEpoch: now - 10)
            let restart = WardenEvent(time: time, process: "api:0", program: "api", event: .leakRestart,
                                      reason: TransitionReason.memoryGrowth, pid: 7, message: "RSS growing")
            let state = WardenEvent(time: time, process: "api:1", program: "api", event: .stateChange, oldState: .running,
                                    newState: .backoff, reason: TransitionReason.exit, exitStatus: "exit status 3")
            let alert = WardenEvent(time: time, process: "api:0", event: .poolAlert, reason: PoolAlert.Kind.exhaustion,
                                    collector: "pg", pool: "postgres://db", message: "95 %")
            let sample = PoolSample(pool: "postgres://db", max: 50, inUse: 10, idle: 5, waiting: 0,
                                    byWorker: ["api:0": 12], unattributed: 3, longRunning: [], collectedAt: time)
            _ = try await Self.run(path: directory + "/h.sqlite", [
                .recorded(restart), .recorded(state), .recorded(alert),
                .collected(PoolRound(collector: "pg", secondsSinceEpoch: now - 10, pools: [sample])),
                Self.round(now - 5, [("api:0", 1)]),
            ]) { history in
                let range = HistoryRange(from: now - 60, to: now)
                let all = try await history.events(range: range, processes: nil, kind: nil)
                #expect(all.events == [restart, state, alert])
                #expect(try await history.events(range: range, processes: ["api:1"], kind: nil).events == [state])
                #expect(try await history.events(range: range, processes: ["api:0", "api:1"], kind: nil).events == [restart, state, alert])
                #expect(try await history.events(range: range, processes: [], kind: nil).events.isEmpty)
                #expect(try await history.events(range: range, processes: nil, kind: .leakRestart).events == [restart])
                #expect(try await history.events(range: HistoryRange(from: now - 5, to: now), processes: nil, kind: nil).events.isEmpty)
                let pools = try await history.poolHistory(collector: nil, range: range).pools
                #expect(pools.count == 1 && pools.first?.collector == "pg" && pools.first?.pool == "postgres://db")
                let point = pools.first?.points.first
                #expect(point?.inUse == 10 && point?.idle == 5 && point?.max == 50 && point?.byWorker == ["api:0": 12])
                #expect(point?.usage == 0.3 && point?.unattributed == 3)
                #expect(try await history.poolHistory(collector: "redis", range: range).pools.isEmpty)
            }
        }
    }

    @Test("pool alerts become rows with started_at and resolved_at; one left open is closed when the history reopens")
    func alerts() async throws {
        try await Self.inDirectory { directory in
            let now = Date().timeIntervalSince1970.rounded(.down)
            func record(_ kind: WardenEvent.Kind, _ alert: PoolAlert.Kind, at: Double, worker: String? = nil) -> SupervisionEvent {
                .recorded(WardenEvent(time: RFC3339Text.string(secondsSinceEpoch: at), process: worker, event: kind,
                                      reason: alert, collector: "pg", pool: "postgres://db", severity: .critical,
                                      message: "\(alert.rawValue) message"))
            }
            let path = directory + "/h.sqlite"
            _ = try await Self.run(path: path, [
                record(.poolAlert, .exhaustion, at: now - 7_200), record(.poolAlertResolved, .exhaustion, at: now - 5_400),
                record(.poolAlert, .connectionLeak, at: now - 600, worker: "api:0"),
                record(.poolAlertResolved, .connectionLeak, at: now - 300, worker: "api:0"),
                record(.poolAlert, .highUsage, at: now - 60),
                Self.round(now - 1, [("api:0", 4_096)]),
            ]) { history in
                let hour = try await history.resolvedAlerts(range: HistoryRange(from: now - 3_600, to: now))
                #expect(hour.map(\.kind) == ["connection-leak"])
                #expect(hour.first?.worker == "api:0" && hour.first?.severity == "critical")
                #expect(hour.first?.message == "connection-leak message" && hour.first?.collector == "pg")
                #expect(hour.first?.startedAt == RFC3339Text.string(secondsSinceEpoch: now - 600))
                #expect(hour.first?.resolvedAt == RFC3339Text.string(secondsSinceEpoch: now - 300))
                let day = try await history.resolvedAlerts(range: HistoryRange(from: now - 86_400, to: now))
                #expect(day.map(\.kind) == ["exhaustion", "connection-leak"], "oldest first; the open one is not resolved")
            }
            // The high-usage alert was never resolved (as if Warden were killed): reopening ends it at the
            // history's last record.
            _ = try await Self.run(path: path, []) { history in
                let resolved = try await history.resolvedAlerts(range: HistoryRange(from: now - 3_600, to: now))
                #expect(resolved.map(\.kind) == ["connection-leak", "high-usage"])
                #expect(resolved.last?.resolvedAt == RFC3339Text.string(secondsSinceEpoch: now - 60))
            }
        }
    }

    @Test("a file that is not a database is moved aside as PATH.corrupt-TIME and a fresh history starts")
    func corruptFileMovedAside() async throws {
        try await Self.inDirectory { directory in
            let path = directory + "/h.sqlite"
            try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path))
            let now = Date().timeIntervalSince1970
            _ = try await Self.run(path: path, [Self.round(now - 2, [("api:0", 40_960)])]) { history in
                let health = await history.health()
                #expect(health.movedAside == 1 && health.failedBatches == 0 && health.batchesWritten == 1)
                #expect(health.lastError != nil)
                let points = try await history.processHistory("api:0", range: HistoryRange(from: now - 60, to: now))
                #expect(points.points.count == 1)
            }
            let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            let aside = files.filter { $0.hasPrefix("h.sqlite.corrupt-") }
            #expect(aside.count == 1, "\(files)")
            let kept = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + aside[0]))
            #expect(kept == Data(repeating: 0x5A, count: 8192), "the old file is kept as it was")
        }
    }

    @Test("a history that cannot be created (no such directory) is reported and counted; nothing crashes")
    func unopenable() async throws {
        let now = Date().timeIntervalSince1970
        _ = try await Self.run(path: "/nonexistent-\(UUID().uuidString)/h.sqlite", [Self.round(now, [("api:0", 1)])],
                               opens: false) { history in
            for _ in 0..<200 where await history.health().failedBatches == 0 { try await Task.sleep(for: .milliseconds(10)) }
            let health = await history.health()
            #expect(health.failedBatches == 1 && health.batchesWritten == 0 && health.lastError != nil && !health.open)
            #expect(try await history.processHistory("api:0", range: HistoryRange(from: now - 60, to: now)).points.isEmpty)
        }
    }
}
