import Foundation
import Testing
import WardenAPI
import WardenClient
import WardenCore
import WardenControlTestSupport

@Suite("warden status table")
struct StatusTableTests {
    @Test("uptime is compact", arguments: [
        (0.0, "0s"), (42.9, "42s"), (60, "1m00s"), (303, "5m03s"), (3725.5, "1h02m"), (86_399, "23h59m"),
        (273_600, "3d04h"), (-5, "0s"), (.infinity, "0s"),
    ])
    func uptime(seconds: Double, text: String) {
        #expect(StatusTable.uptime(seconds) == text)
    }

    @Test("sizes are MiB with one decimal")
    func sizes() {
        #expect(StatusTable.mebibytes(0) == "0.0MiB")
        #expect(StatusTable.mebibytes(134_217_728) == "128.0MiB")
        #expect(StatusTable.mebibytes(1_572_864) == "1.5MiB")
        #expect(StatusTable.mebibytes(52_428) == "0.0MiB")
        #expect(StatusTable.mebibytes(104_858) == "0.1MiB")
    }

    @Test("leak shows severity and signed MiB/min, or warming-up")
    func leak() {
        let critical = LeakStatus(severity: "critical", rssGrowthMBPerMin: 612.34, fdGrowthPerMin: 0, threadGrowthPerMin: 0, samples: 60)
        #expect(StatusTable.leak(critical) == "critical +612.3MiB/min")
        let shrinking = LeakStatus(severity: "none", rssGrowthMBPerMin: -1.25, fdGrowthPerMin: 0, threadGrowthPerMin: 0, samples: 60)
        #expect(StatusTable.leak(shrinking) == "none -1.3MiB/min")
        let warming = LeakStatus(severity: "warming-up", rssGrowthMBPerMin: nil, fdGrowthPerMin: nil, threadGrowthPerMin: nil, samples: 3)
        #expect(StatusTable.leak(warming) == "warming-up")
        let counting = LeakStatus(severity: "warming-up", firstGradeInSeconds: 71.2, finalGradeInSeconds: 171.2,
                                  rssGrowthMBPerMin: nil, fdGrowthPerMin: nil, threadGrowthPerMin: nil, samples: 3)
        #expect(StatusTable.leak(counting) == "warming-up (first grade in 1m12s)")
        let provisional = LeakStatus(severity: "low", provisional: true, finalGradeInSeconds: 100,
                                     rssGrowthMBPerMin: 4.14, fdGrowthPerMin: 0, threadGrowthPerMin: 0, samples: 50)
        #expect(StatusTable.leak(provisional) == "low +4.1MiB/min (provisional, final in 1m40s)")
    }

    @Test("rows fill every column, unknown values as -")
    func rows() {
        #expect(StatusTable.row(Fixtures.processes[0]) == [
            "api:0", "RUNNING", "101", "1h02m", "2", "128.0MiB", "192.0MiB", "31", "12", "12.3", "critical +612.3MiB/min",
            "memory-growth",
        ])
        #expect(StatusTable.row(Fixtures.stopped) == [
            "batch", "STOPPED", "-", "-", "0", "-", "-", "-", "-", "-", "-", "-",
        ])
    }

    @Test("the table aligns columns under the header")
    func table() {
        let lines = StatusTable.render([Fixtures.processes[0], Fixtures.stopped]).split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("NAME   STATE    PID  UPTIME  RESTARTS       RSS  TREE RSS  FDS  THREADS  CPU%  LEAK"))
        #expect(lines[1].hasPrefix("api:0  RUNNING  101   1h02m         2  128.0MiB  192.0MiB   31       12  12.3  critical"))
        #expect(lines[2].hasPrefix("batch  STOPPED    -       -         0         -         -    -        -     -  -"))
        // REASON starts at the same column in every row.
        let column = lines[0].range(of: "REASON")!.lowerBound.utf16Offset(in: lines[0])
        #expect(lines[1].dropFirst(column).hasPrefix("memory-growth"))
        #expect(lines[2].dropFirst(column).hasPrefix("-"))
        #expect(lines.allSatisfy { !$0.hasSuffix(" ") })
    }
}

@Suite("StatusTable: the STATUS= column")
struct StatusTextColumnTests {
    @Test("a STATUS column appears only when some process sent STATUS=")
    func statusColumn() {
        let leak = LeakStatus(severity: "none", rssGrowthMBPerMin: nil, fdGrowthPerMin: nil, threadGrowthPerMin: nil, samples: 0)
        var process = ProcessStatus(
            name: "redis", program: "redis", state: .running, pid: 42, startedAt: nil, uptimeSeconds: 5, restarts: 0,
            lastExitStatus: nil, lastRestartReason: nil, rssBytes: nil, treeRSSBytes: nil, threads: nil, fds: nil,
            treeProcesses: nil, cpuPercent: nil, leak: leak, description: nil)
        #expect(!StatusTable.render([process]).contains("STATUS"))
        process.statusText = "Ready to accept connections"
        let table = StatusTable.render([process]).split(separator: "\n")
        #expect(table[0].hasSuffix("STATUS"))
        #expect(table[1].hasSuffix("Ready to accept connections"))
    }

    @Test("a FORECAST column (before STATUS) appears only when some process has a forecast, in WardenCore's words")
    func forecastColumn() {
        let leak = LeakStatus(severity: "medium", rssGrowthMBPerMin: 8, fdGrowthPerMin: 0, threadGrowthPerMin: 0, samples: 40)
        var process = ProcessStatus(
            name: "api", program: "api", state: .running, pid: 42, startedAt: nil, uptimeSeconds: 5, restarts: 0,
            lastExitStatus: nil, lastRestartReason: nil, rssBytes: nil, treeRSSBytes: nil, threads: nil, fds: nil,
            treeProcesses: nil, cpuPercent: nil, leak: leak, description: nil)
        #expect(!StatusTable.render([process]).contains("FORECAST"))
        process.forecast = ForecastStatus(.pool("redis://db:6379", ConnectionLeakForecast(
            connectionsPerSecond: 3.14, secondsToExhaustion: 13.6, exhaustedAt: 57, used: 15)))
        process.statusText = "ready"
        let table = StatusTable.render([process]).split(separator: "\n")
        #expect(table[0].contains("  REASON  FORECAST  ") && table[0].hasSuffix("  STATUS"))
        #expect(table[1].hasSuffix("pool exhausted in ~14 s at +3.1 conn/s  ready"))
        #expect(process.forecast?.limit == "pool" && process.forecast?.rate == 3.14 && process.forecast?.seconds == 13.6)
        let memory = ForecastStatus(.memory(MemoryForecast(limit: .rssMax, seconds: 125, rateMBPerMinute: 31.24)))
        #expect(memory.summary == "rss_max in ~2 min at +31.2 MiB/min" && memory.rateUnit == "MiB/min" && memory.pool == nil)
    }
}

@Suite("StatusTable: the REASON column")
struct ReasonColumnTests {
    @Test("a process that is down (BACKOFF, EXITED, FATAL) shows why and when; one that is up its last restart's reason",
          arguments: [(ProcessState.backoff, true), (.exited, true), (.fatal, true), (.running, false), (.stopped, false)])
    func reasonByState(state: ProcessState, showsDescription: Bool) {
        let leak = LeakStatus(severity: "none", rssGrowthMBPerMin: nil, fdGrowthPerMin: nil, threadGrowthPerMin: nil, samples: 0)
        let process = ProcessStatus(
            name: "crash", program: "crash", state: state, pid: nil, startedAt: nil, uptimeSeconds: nil, restarts: 7,
            lastExitStatus: "exit status 3", lastRestartReason: "exit", rssBytes: nil, treeRSSBytes: nil, threads: nil,
            fds: nil, treeProcesses: nil, cpuPercent: nil, leak: leak,
            description: "exit status 3; start limit: 5 starts within 10s; next start in 4.0s")
        let reason = StatusTable.row(process).last
        #expect(reason == (showsDescription ? process.description : "exit"))
    }
}

@Suite("warden pools tables")
struct PoolTablesTests {
    static func pool(_ byWorker: [String: Int], unattributed: Int = 1) -> PoolStatus {
        PoolStatus(collector: "redis", pool: "redis://127.0.0.1:6390", max: 100, inUse: 10, idle: 2, waiting: 0,
                   usage: 0.12, byWorker: byWorker, unattributed: unattributed, longRunning: [],
                   collectedAt: "2026-12-06T10:00:00.000Z")
    }

    @Test("the default view lists only the workers holding connections, most first; --wide lists them all")
    func holdersOnly() {
        let pool = Self.pool(["api:0": 3, "api:1": 0, "worker": 7, "collector:redis": 0])
        let text = PoolTables.render([pool], width: nil)
        let lines = text.components(separatedBy: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("COLLECTOR") && lines[0].hasSuffix("UNATTRIBUTED  LONG"))
        #expect(lines[2] == "  by worker: worker=7, api:0=3")
        let wide = PoolTables.render([pool])
        #expect(wide.contains("api:0=3,api:1=0,collector:redis=0,worker=7") && wide.contains("2026-12-06T10:00:00.000Z"))
        #expect(PoolTables.render([Self.pool(["api:0": 0])], width: nil).hasSuffix("  by worker: none"))
    }

    @Test("the worker list wraps to the width, at most 4 lines, then says how many more --wide shows; no line is wider")
    func wraps() {
        var holders: [String: Int] = [:]
        for index in 0..<60 { holders["web:\(index)"] = 100 + index }
        let text = PoolTables.render([Self.pool(holders)], width: 60)
        let lines = text.components(separatedBy: "\n")
        #expect(lines.allSatisfy { $0.count <= 60 }, "\(text)")
        #expect(lines.count == 2 + 4)
        #expect(lines[2].hasPrefix("  by worker: web:59=159, web:58=158"))
        #expect(lines[3].hasPrefix(String(repeating: " ", count: 13) + "web:"))
        let shown = text.components(separatedBy: "=").count - 1
        #expect(lines[5].hasSuffix("more (--wide)") && lines[5].contains("… and \(60 - shown) more"), "\(lines[5])")
        // Narrower than the pool row itself: the row is cut with an ellipsis.
        let narrow = PoolTables.render([Self.pool(["a": 1])], width: 30).components(separatedBy: "\n")
        #expect(narrow[1].count == 30 && narrow[1].hasSuffix("…"))
    }
}
