import Foundation
import Testing
import WardenTestSupport

/// A worker holding TCP connections to 127.0.0.1:PORT: `hold N` opens N and keeps them; `leak S` opens
/// one more every S seconds and never closes any.
private let connectionWorker = """
    import socket, sys, time
    port = int(sys.argv[1]); mode = sys.argv[2]; arg = float(sys.argv[3])
    held = []
    def connect():
        s = socket.create_connection(("127.0.0.1", port)); held.append(s)
    if mode == "hold":
        for _ in range(int(arg)): connect()
        while True: time.sleep(60)
    if mode == "hold-and-ping":  # holds 5, and every `arg` s a new client must get +PONG, or it exits 3
        for _ in range(5): connect()
        while True:
            s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"PING\\r\\n")
            if not s.recv(64).startswith(b"+PONG"): sys.exit(3)
            s.close(); time.sleep(arg)
    while True:
        connect(); time.sleep(arg)
    """

/// Fast connection-leak thresholds (3 checks, 3 connections) for `[collectors.redis]`, a `leaker` and a
/// `steady` program (both `connection_leak = "restart"` with a 2 s sustain) running the given argv.
func leakerAndSteadyPrograms(leaker: [String], steady: [String]) -> String {
    let programs = [("leaker", leaker), ("steady", steady)].map { name, words in
        """

        [programs.\(name)]
        command = [\(words.map { "\"\($0)\"" }.joined(separator: ", "))]
        start_seconds = "100ms"
        [programs.\(name).leak]
        sustain = "2s"
        connection_leak = "restart"
        """
    }
    return "[collectors.redis.thresholds]\nleak_checks = 3\nleak_min_connections = 3\n" + programs.joined() + "\n"
}

/// `[supervisor]` with a relative state dir and a `[collectors.redis]` watching the server on `port`.
func redisCollectorConfig(port: Int, interval: String) -> String {
    """
    [supervisor]
    state_dir = "state"

    [collectors.redis]
    plugin = "warden-collector-redis"
    interval = "\(interval)"
    config = { url = "redis://127.0.0.1:\(port)" }

    """
}

@Suite("Collector plugins under a real Warden", .serialized)
struct CollectorHostTests {
    @Test("Redis: a leaking worker is attributed, flagged and restarted (connection-leak); a steady pool of 5 is not")
    func redisConnectionLeak() async throws {
        let redis = try await RedisServer.start()
        let worker = try writeScript(connectionWorker, named: "conn.py", in: try scriptDirectory())
        let warden = try WardenProcess(config: redisCollectorConfig(port: redis.port, interval: "500ms") + leakerAndSteadyPrograms(
            leaker: ["python3", worker, String(redis.port), "leak", "0.25"], steady: ["python3", worker, String(redis.port), "hold", "5"]) + """

            [programs.idle]
            command = ["sleep", "1000"]
            """)
        try waitFor("plugin RUNNING", timeout: 15) { try warden.state("collector:redis") == "RUNNING" }
        try waitFor("steady pool attributed", timeout: 15) {
            let pools = try warden.cliJSON(["pools", "--json"])["pools"] as? [[String: Any]] ?? []
            return (pools.first?["by_worker"] as? [String: Any])?["steady"] as? Int == 5
        }
        try waitFor("connection-leak restart", timeout: 30) {
            warden.events().contains { $0["event"] as? String == "leak-restart" && $0["reason"] as? String == "connection-leak" }
        }
        let restart = try #require(warden.events().first { $0["reason"] as? String == "connection-leak" && $0["event"] as? String == "leak-restart" })
        #expect(restart["process"] as? String == "leaker")
        let alerts = try warden.cliJSON(["alerts", "--json"])["alerts"] as? [[String: Any]] ?? []
        #expect(alerts.contains { $0["kind"] as? String == "connection-leak" && $0["worker"] as? String == "leaker" })
        #expect(!alerts.contains { $0["kind"] as? String == "connection-leak" && $0["worker"] as? String == "steady" })
        #expect(try warden.status()["steady"]?["restarts"] as? Int == 0)
        let pools = try #require((try warden.cliJSON(["pools", "--json"])["pools"] as? [[String: Any]])?.first)
        #expect(pools["collector"] as? String == "redis")
        #expect(pools["pool"] as? String == "redis://127.0.0.1:\(redis.port)")
        #expect((pools["max"] as? Int ?? 0) > 0)
        let table = try warden.cli(["pools"])
        #expect(table.status == 0 && table.stdout.contains("redis://127.0.0.1:\(redis.port)") && table.stdout.contains("steady=5"))
        // Only the workers holding connections, on their own line; --wide shows the idle one too.
        #expect(table.stdout.contains("  by worker: ") && !table.stdout.contains("idle=") && !table.stdout.contains("=0"), "\(table.stdout)")
        let wide = try warden.cli(["pools", "--wide"])
        #expect(wide.status == 0 && wide.stdout.contains("idle=0") && wide.stdout.contains("steady=5"), "\(wide.stdout)")
        // $COLUMNS (no terminal here) bounds every line.
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "44"
        let narrow = try ChildProcess.runBlocking(wardenPath, ["pools", "--socket", warden.socketPath], environment: environment)
        #expect(narrow.status == 0 && narrow.stdout.split(separator: "\n").allSatisfy { $0.count <= 44 }, "\(narrow.stdout)")
        #expect(narrow.stdout.contains("steady=5"))

        // The history has the pool's samples (attributed) and the alert, with its times, severity and message.
        try waitFor("pool samples in the history", timeout: 15) {
            let pools = try warden.getJSON("/v1/pools/history?hours=1&collector=redis")["pools"] as? [[String: Any]] ?? []
            let points = pools.first?["points"] as? [[String: Any]] ?? []
            return points.contains { ($0["by_worker"] as? [String: Any])?["steady"] as? Int == 5 }
        }
        let history = try #require((try warden.getJSON("/v1/pools/history?hours=1")["pools"] as? [[String: Any]])?.first)
        #expect(history["collector"] as? String == "redis" && history["pool"] as? String == "redis://127.0.0.1:\(redis.port)")
        let point = try #require((history["points"] as? [[String: Any]])?.last)
        // A bucket's counts are means (5.5 when two samples differ), and JSON writes 5.0 as 5: both are numbers.
        func isNumber(_ value: Any?) -> Bool { value is Int || value is Double }
        #expect((point["max"] as? Int ?? 0) > 0 && isNumber(point["in_use"]) && isNumber(point["usage"]) && point["time"] is String)
        let recorded = try #require(try warden.cliJSON(["alerts", "--hours", "1", "--json"])["alerts"] as? [[String: Any]])
        let leak = try #require(recorded.first { $0["kind"] as? String == "connection-leak" && $0["worker"] as? String == "leaker" })
        #expect(leak["severity"] as? String == "critical" && leak["started_at"] is String && (leak["message"] as? String ?? "").contains("leaker"))
        try waitFor("the alert's record in the history", timeout: 10) {
            let records = try warden.getJSON("/v1/events?hours=1&kind=pool-alert")["events"] as? [[String: Any]] ?? []
            return records.contains { $0["reason"] as? String == "connection-leak" && $0["severity"] as? String == "critical" }
        }
        #expect(try warden.terminate() == 0)
        await redis.stop()
    }

    @Test("a leak of 5 connections/s against maxclients 60 is restarted before the pool runs out, with the default sustain; a steady client beside it is never refused")
    func fastLeakForecast() async throws {
        let redis = try await RedisServer.start(maxClients: 60)
        let worker = try writeScript(connectionWorker, named: "conn.py", in: try scriptDirectory())
        let warden = try WardenProcess(config: redisCollectorConfig(port: redis.port, interval: "1s") + """

            [programs.leaker]
            command = ["python3", "\(worker)", "\(redis.port)", "leak", "0.2"]
            start_seconds = "100ms"
            [programs.leaker.leak]
            connection_leak = "restart"

            [programs.steady]
            command = ["python3", "\(worker)", "\(redis.port)", "hold-and-ping", "0.2"]
            start_seconds = "100ms"
            """)
        defer { _ = try? warden.terminate() }
        try waitFor("connection-leak restart", timeout: 40) {
            warden.events().contains { $0["event"] as? String == "leak-restart" && $0["reason"] as? String == "connection-leak" }
        }
        let restart = try #require(warden.events().first { $0["event"] as? String == "leak-restart" })
        #expect(restart["process"] as? String == "leaker")
        #expect((restart["message"] as? String ?? "").contains("pool exhausted in ~"), "the evidence carries the forecast")
        let alerts = try warden.cliJSON(["alerts", "--json"])["alerts"] as? [[String: Any]] ?? []
        let leak = try #require(alerts.first { $0["kind"] as? String == "connection-leak" })
        #expect((leak["message"] as? String ?? "").contains("before the 60 s sustain"))
        #expect(!alerts.contains { $0["kind"] as? String == "exhaustion" }, "the pool never reached 95 %")
        try await Task.sleep(for: .seconds(2))
        #expect(try warden.status()["steady"]?["restarts"] as? Int == 0, "the steady client was never refused")
        #expect(try warden.terminate() == 0)
        await redis.stop()
    }

    @Test("before any verdict, a suspected connection leak's forecast shows in /v1/processes/NAME, status --json and the status table")
    func poolForecastShownBeforeVerdict() async throws {
        let redis = try await RedisServer.start(maxClients: 1000)
        let worker = try writeScript(connectionWorker, named: "conn.py", in: try scriptDirectory())
        let warden = try WardenProcess(config: redisCollectorConfig(port: redis.port, interval: "1s") + """

            [programs.leaker]
            command = ["python3", "\(worker)", "\(redis.port)", "leak", "0.5"]
            start_seconds = "100ms"
            [programs.leaker.leak]
            connection_leak = "restart"
            sustain = "10m"
            """)
        defer { _ = try? warden.terminate() }
        var forecast: [String: Any] = [:]
        try waitFor("the leaker's pool forecast", timeout: 40) {
            let process = try warden.getJSON("/v1/processes/leaker")
            forecast = (process["forecast"] as? [String: Any]) ?? [:]
            return forecast["limit"] as? String == "pool"
        }
        let summary = forecast["summary"] as? String ?? ""
        #expect(summary.wholeMatch(of: #/pool exhausted in ~\d+ (s|min) at \+\d+\.\d conn\/s/#) != nil, "\(summary)")
        #expect((forecast["rate"] as? Double ?? 0) > 1 && (forecast["seconds"] as? Double ?? 0) > 60)
        #expect(forecast["rate_unit"] as? String == "conn/s" && (forecast["pool"] as? String ?? "").hasPrefix("redis://"))
        #expect(((try warden.status()["leaker"]?["forecast"] as? [String: Any])?["limit"]) as? String == "pool")
        let table = try warden.cli(["status"]).stdout
        #expect(table.contains("FORECAST") && table.contains("pool exhausted in ~"), "\(table)")
        #expect(!warden.events().contains { $0["event"] as? String == "leak-restart" }, "a forecast, not a verdict")
        var alerts: [[String: Any]] = []
        try waitFor("the exhaustion-forecast warning (one growing check after the suspicion)", timeout: 10) {
            alerts = try warden.cliJSON(["alerts", "--json"])["alerts"] as? [[String: Any]] ?? []
            return alerts.contains { $0["kind"] as? String == "exhaustion-forecast" }
        }
        let warning = try #require(alerts.first { $0["kind"] as? String == "exhaustion-forecast" }, "\(alerts)")
        #expect(warning["severity"] as? String == "warning" && warning["worker"] as? String == "leaker")
        #expect(((warning["evidence"] as? [String: Any])?["forecast"] as? String ?? "").hasPrefix("pool exhausted in ~"))
        #expect(warden.events().contains { $0["event"] as? String == "pool-alert" && $0["reason"] as? String == "exhaustion-forecast" })
        #expect(try warden.terminate() == 0)
        await redis.stop()
    }

    @Test("collector credentials never appear in logs, status, pools, alerts or events (right and wrong password)")
    func credentialsStayHidden() async throws {
        let secret = "s3cr3t-Pa55-\(UInt32.random(in: 1000...9999))"
        let redis = try await RedisServer.start(password: secret)
        defer { Task { await redis.stop() } }
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [collectors.good]
            plugin = "warden-collector-redis"
            interval = "300ms"
            config = { url = "redis://default:\(secret)@127.0.0.1:\(redis.port)" }

            [collectors.bad]
            plugin = "warden-collector-redis"
            interval = "300ms"
            config = { url = "redis://default:\(secret)-wrong@127.0.0.1:\(redis.port)" }

            [collectors.badurl]
            plugin = "warden-collector-redis"
            config = { url = "rediss://default:\(secret)@127.0.0.1:\(redis.port)/x?y" }
            """)
        try waitFor("good pool reported", timeout: 15) {
            let pools = try warden.cliJSON(["pools", "--json"])["pools"] as? [[String: Any]] ?? []
            return pools.contains { $0["collector"] as? String == "good" }
        }
        try waitFor("bad collector alert", timeout: 15) {
            let alerts = try warden.cliJSON(["alerts", "--json"])["alerts"] as? [[String: Any]] ?? []
            return alerts.contains { $0["collector"] as? String == "bad" && $0["kind"] as? String == "plugin-failure" }
        }
        // A plugin that refuses its config answers `error` and exits 1: the alert keeps both facts.
        try waitFor("badurl alert with the plugin's own reason", timeout: 15) {
            let alerts = try warden.cliJSON(["alerts", "--json"])["alerts"] as? [[String: Any]] ?? []
            return alerts.contains {
                $0["collector"] as? String == "badurl"
                    && ($0["message"] as? String ?? "").contains("exited (exit status 1): invalid config.url (scheme must be redis://)")
            }
        }
        try await Task.sleep(for: .seconds(1))
        let outputs = try [
            warden.cli(["status", "--json"]).stdout, warden.cli(["status"]).stdout,
            warden.cli(["pools", "--json"]).stdout, warden.cli(["alerts", "--json"]).stdout, warden.cli(["alerts"]).stdout,
            (try? String(contentsOfFile: warden.stateDirectory + "/events.jsonl", encoding: .utf8)) ?? "",
        ]
        #expect(try warden.terminate() == 0)
        let stderr = warden.stderrText()
        #expect(stderr.contains("collector:bad"))   // the failure was logged...
        for text in outputs + [stderr] {
            #expect(!text.contains(secret))         // ...without the password
        }
        await redis.stop()
    }

    @Test("plugins that crash, hang, print garbage or speak another protocol version: restarted or stopped, workers undisturbed")
    func misbehavingPlugins() throws {
        let dir = try scriptDirectory()
        let garbage = try writeScript("""
            #!/usr/bin/env python3
            import sys, time
            sys.stdin.readline()
            print('{"type":"hello","name":"garbage","version":"1","protocol_version":1,"capabilities":["pools"]}', flush=True)
            while True:
                sys.stdin.readline()
                print("this is not json {{{", flush=True)
            """, named: "garbage.py", in: dir)
        let hang = try writeScript("""
            #!/usr/bin/env python3
            import sys, time
            sys.stdin.readline()
            print('{"type":"hello","name":"hang","version":"1","protocol_version":1,"capabilities":["pools"]}', flush=True)
            time.sleep(3600)
            """, named: "hang.py", in: dir)
        let wrongVersion = try writeScript("""
            #!/usr/bin/env python3
            import sys, time
            sys.stdin.readline()
            print('{"type":"hello","name":"future","version":"9","protocol_version":2,"capabilities":["pools"]}', flush=True)
            time.sleep(3600)
            """, named: "future.py", in: dir)
        let crash = try writeScript("""
            #!/usr/bin/env python3
            import sys
            sys.stdin.readline()
            sys.exit(3)
            """, named: "crash.py", in: dir)
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [collectors.garbage]
            plugin = "\(garbage)"
            interval = "200ms"
            [collectors.hang]
            plugin = "\(hang)"
            interval = "200ms"
            [collectors.future]
            plugin = "\(wrongVersion)"
            [collectors.crash]
            plugin = "\(crash)"

            [programs.work]
            command = ["WORKLOAD", "steady"]
            start_seconds = "100ms"
            """)
        try waitFor("work RUNNING", timeout: 10) { try warden.state("work") == "RUNNING" }
        let workPID = try warden.processPID("work")
        try waitFor("garbage and hang plugins restarted as unresponsive", timeout: 20) {
            let restarted = Set(warden.events().filter { $0["event"] as? String == "plugin" && $0["reason"] as? String == "plugin-unresponsive" }
                .compactMap { $0["process"] as? String })
            return restarted.isSuperset(of: ["collector:garbage", "collector:hang"])
        }
        try waitFor("future plugin stopped for protocol mismatch", timeout: 10) { try warden.state("collector:future") == "STOPPED" }
        #expect(warden.events().contains { $0["reason"] as? String == "protocol-mismatch" && $0["process"] as? String == "collector:future" })
        #expect(warden.stderrText().contains("speaks protocol version 2; warden speaks 1"))
        try waitFor("crashing plugin restarted with backoff", timeout: 15) {
            (try warden.status()["collector:crash"]?["restarts"] as? Int ?? 0) >= 2
        }
        let alerts = try warden.cliJSON(["alerts", "--json"])["alerts"] as? [[String: Any]] ?? []
        let failing = Set(alerts.filter { $0["kind"] as? String == "plugin-failure" }.compactMap { $0["collector"] as? String })
        #expect(failing.isSuperset(of: ["garbage", "hang", "future", "crash"]))
        // Supervision of workers went on undisturbed.
        #expect(try warden.state("work") == "RUNNING")
        #expect(try warden.processPID("work") == workPID)
        #expect(try warden.terminate() == 0)
    }

    @Test("the Python example collector (standard library only) runs under Warden and reports its pool")
    func pythonExampleCollector() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let example = root.appendingPathComponent("etc/examples/collector-example.py").path
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [collectors.example]
            plugin = "\(example)"
            interval = "300ms"
            config = { host = "127.0.0.1", port = 9, max = 20 }

            [programs.work]
            command = ["WORKLOAD", "steady"]
            start_seconds = "100ms"
            """)
        try waitFor("example pool reported", timeout: 15) {
            let pools = try warden.cliJSON(["pools", "--json"])["pools"] as? [[String: Any]] ?? []
            return pools.contains { $0["collector"] as? String == "example" }
        }
        #expect(warden.events().contains { $0["event"] as? String == "plugin" && $0["reason"] as? String == "handshake" })
        #expect(try warden.terminate() == 0)
    }
}
