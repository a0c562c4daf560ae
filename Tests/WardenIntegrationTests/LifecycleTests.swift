import Foundation
import Testing
import WardenTestSupport

@Suite("Process life cycle end to end", .serialized)
struct LifecycleTests {
    @Test("a worker that crashes before start_seconds goes BACKOFF, then FATAL after start_retries")
    func crashToFatal() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.crasher]
            command = ["WORKLOAD", "crash", "--after", "0.1"]
            start_seconds = "1s"
            start_retries = 2
            backoff = "100ms"
            backoff_max = "400ms"
            """)
        try waitFor("FATAL", timeout: 15) { try warden.state("crasher") == "FATAL" }
        let transitions = warden.events()
            .filter { $0["process"] as? String == "crasher" && $0["event"] as? String == "state-change" }
            .map { "\($0["old_state"] as? String ?? "")->\($0["new_state"] as? String ?? "")" }
        #expect(transitions.filter { $0 == "STARTING->BACKOFF" }.count == 2)
        #expect(transitions.last == "STARTING->FATAL")
        let fatal = try #require(warden.events().last { $0["new_state"] as? String == "FATAL" })
        #expect(fatal["reason"] as? String == "start-retries-exhausted")
        #expect(fatal["exit_status"] as? String == "exit status 3")
        let status = try #require(try warden.status()["crasher"])
        #expect(status["pid"] is NSNull)
        #expect(status["last_exit_status"] as? String == "exit status 3")
        // An operator start of a FATAL process is refused with the reason, exit 1.
        let start = try warden.cli(["start", "crasher"])
        #expect(start.status == 1)
        #expect(start.stderr.contains("FATAL"))
        #expect(try warden.terminate() == 0)
    }

    @Test("a RUNNING worker that exits is restarted at once with a new pid")
    func exitRestarts() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.flaky]
            command = ["WORKLOAD", "crash", "--after", "0.6"]
            start_seconds = "200ms"
            restart = "on-failure"
            """)
        try waitFor("a restart", timeout: 10) { (try warden.status()["flaky"]?["restarts"] as? Int ?? 0) >= 2 }
        let status = try #require(try warden.status()["flaky"])
        #expect(status["last_restart_reason"] as? String == "exit")
        #expect(status["last_exit_status"] as? String == "exit status 3")
        #expect(try warden.terminate() == 0)
    }

    @Test("a crash loop with start_seconds = 0 is throttled by the start limit, not a busy loop; never FATAL")
    func crashLoopThrottled() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.loop]
            command = ["WORKLOAD", "crash"]
            start_seconds = "0s"
            restart = "always"
            start_limit_burst = 4
            start_limit_interval = "10s"
            backoff = "500ms"
            backoff_max = "1s"
            """)
        Thread.sleep(forTimeInterval: 3.5)
        let events = warden.events().filter { $0["process"] as? String == "loop" }
        let spawns = events.filter { $0["new_state"] as? String == "STARTING" }.count
        let throttled = events.filter { $0["new_state"] as? String == "BACKOFF" && $0["reason"] as? String == "restart-throttled" }
        // Unthrottled, `crash` (exits at once) would be spawned hundreds of times in 3.5 s. With 4 starts per
        // 10 s and a 0.5 s → 1 s backoff: 4 at once, then one per backoff (0.5, 1, 1 s): at most 8.
        #expect(spawns >= 5 && spawns <= 8, "\(spawns) starts")
        #expect(throttled.count >= 2)
        #expect(!events.contains { $0["new_state"] as? String == "FATAL" })
        #expect(try warden.terminate() == 0)
    }

    @Test("workers get WARDEN_PROCESS_NAME/INDEX, stdin from /dev/null, only fds 0-2, and captured output")
    func environmentAndFDs() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.env]
            command = ["WORKLOAD", "env"]
            numprocs = 2
            environment = { APP_ENV = "test" }
            """)
        let log = warden.stateDirectory + "/logs/env:1.out.log"
        try waitFor("output", timeout: 10) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("fd ")
        }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("WARDEN_PROCESS_NAME=env:1"))
        #expect(text.contains("WARDEN_PROCESS_INDEX=1"))
        #expect(text.contains("APP_ENV=test"))
        let pid = try #require(try warden.processPID("env:1"))
        let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").compactMap(Int.init).sorted()
        #expect(fds == [0, 1, 2])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/0") == "/dev/null")
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        #expect(status.contains("SigBlk:\t0000000000000000"))
        #expect(status.contains("SigIgn:\t0000000000000000"))
        #expect(try warden.terminate() == 0)
    }

    @Test("SIGHUP with a changed config restarts only the changed program; an invalid one is rejected")
    func reload() throws {
        func config(bEnv: String, extra: String = "") -> String {
            """
            [supervisor]
            state_dir = "state"

            [programs.a]
            command = ["WORKLOAD", "steady"]
            start_seconds = "100ms"

            [programs.b]
            command = ["WORKLOAD", "steady"]
            start_seconds = "100ms"
            environment = { VERSION = "\(bEnv)" }
            \(extra)
            """
        }
        let warden = try WardenProcess(config: config(bEnv: "1"))
        try waitFor("both running", timeout: 10) {
            try warden.state("a") == "RUNNING" && warden.state("b") == "RUNNING"
        }
        let a = try #require(try warden.processPID("a"))
        let b = try #require(try warden.processPID("b"))

        try warden.writeConfig(config(bEnv: "2", extra: """

            [programs.c]
            command = ["WORKLOAD", "steady"]
            start_seconds = "100ms"
            """))
        kill(warden.pid, SIGHUP)
        try waitFor("b restarted and c started", timeout: 10) {
            let s = try warden.status()
            return (s["b"]?["pid"] as? NSNumber)?.int32Value != b && s["b"]?["state"] as? String == "RUNNING"
                && s["c"]?["state"] as? String == "RUNNING"
        }
        #expect(try warden.processPID("a") == a)
        #expect(try warden.status()["a"]?["restarts"] as? Int == 0)
        #expect(!isAlive(b))

        // An invalid config is rejected with its errors and the running set is kept.
        let b2 = try #require(try warden.processPID("b"))
        try warden.writeConfig(config(bEnv: "3", extra: "[programs.d]\ncommand = []\n"))
        kill(warden.pid, SIGHUP)
        try waitFor("the rejection", timeout: 10) {
            warden.events().contains { $0["event"] as? String == "reload" && $0["reason"] as? String == "invalid-config" }
        }
        #expect(warden.stderrText().contains("warden.toml:"))
        #expect(try warden.processPID("a") == a)
        #expect(try warden.processPID("b") == b2)
        #expect(try warden.status()["d"] == nil)

        // Removing a program stops it.
        let c = try #require(try warden.processPID("c"))
        try warden.writeConfig(config(bEnv: "2"))
        kill(warden.pid, SIGHUP)
        try waitFor("c removed", timeout: 10) { try warden.status()["c"] == nil && !isAlive(c) }
        #expect(try warden.processPID("b") == b2)
        #expect(try warden.terminate() == 0)
    }

    @Test("SIGHUP that only changes numprocs adds or retires instances at the end; the others keep running")
    func resize() throws {
        func config(_ count: Int) -> String {
            """
            [supervisor]
            state_dir = "state"

            [programs.web]
            command = ["WORKLOAD", "steady"]
            start_seconds = "100ms"
            numprocs = \(count)
            """
        }
        let warden = try WardenProcess(config: config(2))
        try waitFor("web:0 and web:1 running", timeout: 10) {
            try warden.state("web:0") == "RUNNING" && warden.state("web:1") == "RUNNING"
        }
        let first = try [warden.processPID("web:0"), warden.processPID("web:1")]

        try warden.writeConfig(config(4))
        kill(warden.pid, SIGHUP)
        try waitFor("web:2 and web:3 running", timeout: 10) {
            try warden.state("web:2") == "RUNNING" && warden.state("web:3") == "RUNNING"
        }
        #expect(try [warden.processPID("web:0"), warden.processPID("web:1")] == first)
        #expect(warden.events().contains {
            $0["event"] as? String == "reload" && ($0["message"] as? String ?? "").contains("web: numprocs 2 → 4")
        })

        let removed = try #require(try warden.processPID("web:3"))
        try warden.writeConfig(config(3))
        kill(warden.pid, SIGHUP)
        try waitFor("web:3 retired", timeout: 10) { try warden.status()["web:3"] == nil && !isAlive(removed) }
        #expect(try [warden.processPID("web:0"), warden.processPID("web:1")] == first)
        #expect(try warden.state("web:2") == "RUNNING")
        #expect(try warden.status()["web:0"]?["restarts"] as? Int == 0)
        #expect(try warden.terminate() == 0)
    }

    @Test("reloads that follow each other while instances are still stopping: nothing is left STOPPED, no start overlaps a stop")
    func quickReloads() throws {
        func config(_ count: Int, version: String = "a") -> String {
            """
            [supervisor]
            state_dir = "state"

            [programs.api]
            command = ["WORKLOAD", "stubborn"]
            start_seconds = "100ms"
            stop_timeout = "1500ms"
            numprocs = \(count)
            environment = { V = "\(version)" }
            """
        }
        let warden = try WardenProcess(config: config(5))
        try waitFor("5 running", timeout: 15) { try (0..<5).allSatisfy { try warden.state("api:\($0)") == "RUNNING" } }
        // 5 → 3 retires api:3 and api:4 (they ignore SIGTERM: 1.5 s); at once 3 → 4 takes api:3 back.
        try warden.writeConfig(config(3))
        #expect(try warden.cli(["reload"]).status == 0)
        try warden.writeConfig(config(4))
        #expect(try warden.cli(["reload"]).status == 0)
        try waitFor("api:0-3 running, api:4 gone", timeout: 15) {
            let status = try warden.status()
            return try (0..<4).allSatisfy { try warden.state("api:\($0)") == "RUNNING" } && status["api:4"] == nil
        }

        // 4 → 1 renames (api:N → api): the new `api` starts only once all four are gone, and a second
        // reload meanwhile (another environment) must not start it early either.
        try warden.writeConfig(config(1))
        #expect(try warden.cli(["reload"]).status == 0)
        try warden.writeConfig(config(1, version: "b"))
        #expect(try warden.cli(["reload"]).status == 0)
        try waitFor("api running", timeout: 15) { try warden.state("api") == "RUNNING" }
        let events = warden.events()
        let lastStop = events.filter {
            ($0["process"] as? String ?? "").hasPrefix("api:") && $0["new_state"] as? String == "STOPPED"
        }.compactMap { $0["time"] as? String }.max()
        let start = events.first { $0["process"] as? String == "api" && $0["new_state"] as? String == "STARTING" }?["time"] as? String
        #expect(lastStop != nil && start != nil && start! >= lastStop!, "\(String(describing: start)) < \(String(describing: lastStop))")
        #expect(try warden.terminate() == 0)
    }
}

@Suite("CLI end to end", .serialized)
struct CLITests {
    @Test("warden check reports every error as FILE:LINE: and exits 2")
    func checkBadConfig() throws {
        let path = "/tmp/wt-check-\(UUID().uuidString.prefix(6)).toml"
        try """
            [supervisor]
            sample_interval = "fast"

            [programs.api]
            command = ["x"]
            numprocs = "2"
            restrat = "always"
            [programs.api.leak]
            rss_max = "100"
            """.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try ChildProcess.runBlocking(wardenPath, ["check", "-c", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(path):2:"))
        #expect(result.stderr.contains("\(path):6:"))
        #expect(result.stderr.contains("\(path):7:"))
        #expect(result.stderr.contains("\(path):9:"))
        let run = try ChildProcess.runBlocking(wardenPath, ["run", "-c", path])
        #expect(run.status == 2)
    }

    @Test("start of several names returns once each has settled, even if a crash loop has moved on to BACKOFF")
    func startSettlesEachOnce() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.crash]
            command = ["WORKLOAD", "crash"]
            start_seconds = "0s"
            restart = "always"
            autostart = false
            start_limit_burst = 1
            backoff = "20s"
            backoff_max = "20s"

            [programs.missing]
            command = ["no-such-binary-for-warden-tests"]
            autostart = false
            start_retries = 0
            """)
        try waitFor("warden up", timeout: 10) { try warden.state("crash") == "STOPPED" }
        let started = Date()
        let result = try warden.cli(["start", "crash", "missing"])
        // crash was RUNNING for a moment, then waits 20 s in BACKOFF; missing is FATAL at once. The request
        // must not wait for crash's next RUNNING.
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(result.status == 1)
        #expect(result.stderr.contains("missing is FATAL"), "\(result.stderr)")
        #expect(try warden.terminate() == 0)
    }

    @Test("warden check accepts the example config")
    func checkExample() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let result = try ChildProcess.runBlocking(wardenPath, ["check", "-c", root.appendingPathComponent("etc/warden.toml").path])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test("status, start, stop and restart through the CLI; unknown names exit 1")
    func actions() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.web]
            command = ["WORKLOAD", "steady"]
            numprocs = 2
            start_seconds = "200ms"

            [programs.idle]
            command = ["WORKLOAD", "steady"]
            autostart = false
            """)
        try waitFor("web running", timeout: 10) { try warden.state("web:1") == "RUNNING" }
        #expect(try warden.state("idle") == "STOPPED")
        let json = try warden.cli(["status", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let first = try #require((object?["processes"] as? [[String: Any]])?.first)
        for key in ["name", "program", "state", "pid", "started_at", "uptime_seconds", "restarts", "last_exit_status",
                    "last_restart_reason", "rss_bytes", "tree_rss_bytes", "threads", "fds", "cpu_percent", "leak"] {
            #expect(first.keys.contains(key), "status lacks \(key)")
        }
        let leak = try #require(first["leak"] as? [String: Any])
        for key in ["severity", "rss_growth_mb_per_min", "fd_growth_per_min", "thread_growth_per_min"] {
            #expect(leak.keys.contains(key), "leak lacks \(key)")
        }

        // The cost of sampling is accounted in /v1/health: two workers per round.
        var sampling: [String: Any] = [:]
        try waitFor("two sampling rounds", timeout: 10) {
            sampling = try warden.health()["sampling"] as? [String: Any] ?? [:]
            return (sampling["rounds"] as? Int ?? 0) >= 2
        }
        let rounds = try #require(sampling["rounds"] as? Int)
        let read = try #require(sampling["processes_read"] as? Int)
        #expect(read >= 2 && read <= 2 * rounds)
        #expect((sampling["cpu_seconds"] as? Double ?? 0) > 0)

        let table = try warden.cli(["status"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("web:0") && table.stdout.contains("RUNNING") && table.stdout.contains("STOPPED"))

        #expect(try warden.cli(["start", "idle"]).status == 0)
        #expect(try warden.state("idle") == "RUNNING")
        let old = try #require(try warden.processPID("web:0"))
        let restart = try warden.cli(["restart", "web:*"])
        #expect(restart.status == 0, "\(restart.stderr)")
        #expect(try warden.processPID("web:0") != old)
        #expect(try warden.status()["web:0"]?["last_restart_reason"] as? String == "manual")
        #expect(try warden.cli(["stop", "all"]).status == 0)
        #expect(try warden.status().values.allSatisfy { $0["state"] as? String == "STOPPED" })

        let unknown = try warden.cli(["stop", "nope"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("nope"))
        #expect(try warden.cli(["status", "nope"]).status == 1)

        #expect(try warden.cli(["shutdown"]).status == 0)
        try waitFor("warden gone", timeout: 10) { !warden.process.isRunning }
        #expect(warden.process.exitStatus == 0)
    }
}
