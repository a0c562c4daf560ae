import Testing
import WardenAPI
import WardenClient
import WardenControlTestSupport

@Suite("warden top's frame")
struct TopScreenTests {
    static func process(_ name: String, severity: String, growth: Double?) -> ProcessStatus {
        var status = Fixtures.running(name, program: name, pid: 100)
        status.leak = LeakStatus(severity: severity, rssGrowthMBPerMin: growth, fdGrowthPerMin: 0, threadGrowthPerMin: 0, samples: 10)
        return status
    }

    static let processes = [
        process("steady", severity: "none", growth: 0.1),
        process("young", severity: "warming-up", growth: 99),
        process("leaky", severity: "critical", growth: 40),
        process("slow", severity: "low", growth: 3.5),
        Fixtures.stopped,
    ]

    static let alert = AlertStatus(
        kind: "high-usage", severity: "warning", collector: "pg", pool: "postgres://127.0.0.1:5432/app", worker: nil,
        startedAt: "2026-12-06T10:00:00.000Z", resolvedAt: nil, message: "pool at 85 % for 3 checks")

    @Test("order: restart loops first, then running processes by grade (final before provisional) and growth, warming-up after, then those without a process")
    func order() {
        #expect(TopScreen.sorted(Self.processes).map(\.name) == ["leaky", "slow", "steady", "young", "batch"])
        var filling = Self.process("filling", severity: "none", growth: 515)  // a cache filling, graded none so far
        filling.leak.provisional = true
        var faster = Self.process("faster", severity: "critical", growth: 60)
        faster.leak.provisional = true
        #expect(TopScreen.sorted(Self.processes + [filling, faster]).map(\.name)
            == ["leaky", "faster", "slow", "steady", "filling", "young", "batch"])
        var looping = Self.process("crasher", severity: "warming-up", growth: nil)
        looping.restartLoop = RestartLoopStatus(reason: "exit", restarts: 16, since: "2026-12-06T10:00:00.000Z")
        var stopped = Self.process("stale", severity: "critical", growth: 90)
        stopped.pid = nil
        stopped.state = .stopped
        #expect(TopScreen.sorted(Self.processes + [looping, stopped]).map(\.name)
            == ["crasher", "leaky", "slow", "steady", "young", "batch", "stale"])
        let frame = TopScreen(processes: [looping], pools: [], alerts: [], clock: "10:00:00").render(width: 200, height: 10, color: false)
        #expect(frame[3].hasPrefix("crasher  RUNNING LOOP  "), "\(frame[3])")
    }

    @Test("a frame: header counts, table rows in order, pools and open alerts; resolved alerts left out")
    func frame() throws {
        var resolved = Self.alert
        resolved.resolvedAt = "2026-12-06T10:05:00.000Z"
        let pool = PoolStatus(
            collector: "pg", pool: "postgres://127.0.0.1:5432/app", max: 60, inUse: 40, idle: 5, waiting: nil,
            usage: 0.75, byWorker: ["api:0": 30, "api:1": 10, "idle:0": 0], unattributed: 5, longRunning: [],
            collectedAt: "2026-12-06T10:00:00.000Z")
        let screen = TopScreen(processes: Self.processes, pools: [pool], alerts: [Self.alert, resolved], clock: "10:00:00")
        let lines = screen.render(width: 200, height: 40, color: false)
        #expect(lines[0] == "warden top  10:00:00  5 processes, 4 running, 1 open alert  (q quits)")
        #expect(lines[2].hasPrefix("NAME"))
        #expect(lines[3].hasPrefix("leaky ") && lines[3].contains("critical +40.0MiB/min"))
        #expect(lines.contains("pg  postgres://127.0.0.1:5432/app  45/60 (75%)  top: api:0 30, api:1 10  unattributed 5"))
        #expect(lines.filter { $0 == "warning  high-usage  postgres://127.0.0.1:5432/app  pool at 85 % for 3 checks" }.count == 1)
        #expect(!lines.contains { $0.contains("idle:0") })
    }

    @Test("lines fit the width; when rows do not fit the height, processes give way and alerts stay")
    func fits() {
        let many = (0..<30).map { Self.process("w\($0)", severity: "none", growth: Double($0)) }
        let screen = TopScreen(processes: many, pools: [], alerts: [Self.alert], clock: "10:00:00")
        let lines = screen.render(width: 40, height: 12, color: false)
        #expect(lines.count == 12)
        #expect(lines.allSatisfy { $0.count <= 40 })
        #expect(lines.contains { $0.hasPrefix("… ") && $0.contains("more processes") })
        #expect(lines.last?.hasPrefix("warning  high-usage") == true)
        #expect(lines[3].hasPrefix("w29"))
    }

    @Test("below 20×3 one line says the window is too small, cut to its width")
    func tiny() {
        let screen = TopScreen(processes: Self.processes, pools: [], alerts: [Self.alert], clock: "10:00:00")
        #expect(screen.render(width: 10, height: 3, color: true) == ["warden top"])
        #expect(screen.render(width: 80, height: 2, color: false) == ["warden top: window too small"])
        #expect(screen.render(width: 0, height: 0, color: false).isEmpty)
    }

    @Test("with colour only the severity word is coloured, and the text stays the same without the codes")
    func colour() throws {
        let screen = TopScreen(processes: Self.processes, pools: [], alerts: [], clock: "10:00:00")
        let plain = screen.render(width: 200, height: 40, color: false)
        let coloured = screen.render(width: 200, height: 40, color: true)
        let leaky = try #require(coloured.first { $0.hasPrefix("leaky") })
        #expect(leaky.contains("\u{1B}[1;31mcritical\u{1B}[0m +40.0MiB/min"))
        let stripped = coloured.map { $0.replacing(#/\x1B\[[0-9;]*m/#, with: "") }
        #expect(stripped == plain)
    }
}
