import Foundation
import Testing
import WardenTestSupport

/// Regressions found by trying to break Warden: each was a hang, a survivor or a lost request.
@Suite("Robustness end to end", .serialized)
struct RobustnessTests {
    @Test("a stop request returns even when a start arrives while the process is STOPPING")
    func stopThenStart() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.slow]
            command = ["WORKLOAD", "stubborn"]
            start_seconds = "100ms"
            stop_timeout = "1s"
            """)
        try waitFor("running", timeout: 10) { try warden.state("slow") == "RUNNING" }
        let stop = try ChildProcess(wardenPath, ["stop", "--socket", warden.socketPath, "slow"])
        defer { stop.kill() }
        try waitFor("STOPPING", timeout: 5) { try warden.state("slow") == "STOPPING" }
        #expect(try warden.cli(["start", "slow"]).status == 0)
        try waitFor("the stop request to return", timeout: 10) { !stop.isRunning }
        #expect(try warden.state("slow") == "RUNNING")
        #expect(try warden.terminate() == 0)
    }

    @Test("a tree that keeps forking during the SIGKILL pass is still stopped completely")
    func forkLoopStopped() throws {
        let marker = UUID().uuidString
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.forker]
            command = ["/bin/sh", "-c", "trap '' TERM; while :; do sleep 1000 & sleep 0.01; done"]
            start_seconds = "100ms"
            stop_timeout = "500ms"
            environment = { WARDEN_TEST_RUN = "\(marker)" }
            """)
        try waitFor("children", timeout: 10) { processes(withEnvironment: "WARDEN_TEST_RUN=\(marker)").count > 20 }
        let stop = try warden.cli(["stop", "forker"])
        #expect(stop.status == 0)
        #expect(processes(withEnvironment: "WARDEN_TEST_RUN=\(marker)").isEmpty)
        #expect(try warden.terminate() == 0)
    }

    @Test("leftovers of a worker that exited are gone when a graceful shutdown returns")
    func leftoversAtShutdown() throws {
        let marker = UUID().uuidString
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"
            shutdown_timeout = "2s"

            [programs.lefty]
            command = ["/bin/sh", "-c", "WORKLOAD stubborn & sleep 0.5; exit 0"]
            restart = "never"
            start_seconds = "0s"
            stop_timeout = "30s"
            environment = { WARDEN_TEST_RUN = "\(marker)" }
            """)
        try waitFor("the shell to exit", timeout: 10) { try warden.state("lefty") == "EXITED" }
        #expect(!processes(withEnvironment: "WARDEN_TEST_RUN=\(marker)").isEmpty)
        #expect(try warden.terminate() == 0)
        #expect(processes(withEnvironment: "WARDEN_TEST_RUN=\(marker)").isEmpty)
    }

    @Test("a reload during shutdown is refused and the shutdown completes")
    func reloadDuringShutdown() throws {
        let config = """
            [supervisor]
            state_dir = "state"

            [programs.stubborn]
            command = ["WORKLOAD", "stubborn"]
            start_seconds = "100ms"
            stop_timeout = "2s"
            """
        let warden = try WardenProcess(config: config)
        try waitFor("running", timeout: 10) { try warden.state("stubborn") == "RUNNING" }
        kill(warden.pid, SIGTERM)
        try warden.writeConfig(config + "\n[programs.newbie]\ncommand = [\"WORKLOAD\", \"steady\"]\n")
        usleep(200_000)
        kill(warden.pid, SIGHUP)
        try waitFor("warden to exit", timeout: 15) { !warden.process.isRunning }
        #expect(warden.process.exitStatus == 0)
        #expect(!warden.events().contains { $0["process"] as? String == "newbie" })
    }

    @Test("SIGQUIT (cancellation) kills every tree and exits instead of leaving Warden headless")
    func sigquit() throws {
        let marker = UUID().uuidString
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.stubborn]
            command = ["WORKLOAD", "stubborn"]
            start_seconds = "100ms"
            stop_timeout = "30s"
            environment = { WARDEN_TEST_RUN = "\(marker)" }
            """)
        try waitFor("running", timeout: 10) { processes(withEnvironment: "WARDEN_TEST_RUN=\(marker)").count == 2 }
        kill(warden.pid, SIGQUIT)
        try waitFor("warden to exit", timeout: 15) { !warden.process.isRunning }
        #expect(processes(withEnvironment: "WARDEN_TEST_RUN=\(marker)").isEmpty)
    }

    @Test("SIGUSR1, SIGUSR2, SIGALRM and friends do not kill Warden (nor orphan its workers)")
    func strayUserSignals() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.s]
            command = ["WORKLOAD", "steady"]
            start_seconds = "100ms"
            """)
        try waitFor("running", timeout: 10) { try warden.state("s") == "RUNNING" }
        let pid = try #require(try warden.processPID("s"))
        for signal in [SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGPOLL] { kill(warden.pid, signal) }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(warden.process.isRunning)
        #expect(try warden.state("s") == "RUNNING" && warden.processPID("s") == pid)
        // Workers do not inherit the ignored dispositions.
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        #expect(status.contains("SigIgn:\t0000000000000000"))
        #expect(try warden.terminate() == 0)
    }

    @Test("the logs directory removed while Warden runs is recreated at the next spawn")
    func logsDirectoryRemoved() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.s]
            command = ["WORKLOAD", "steady"]
            start_seconds = "100ms"
            restart = "always"
            """)
        try waitFor("running", timeout: 10) { try warden.state("s") == "RUNNING" }
        let pid = try #require(try warden.processPID("s"))
        try FileManager.default.removeItem(atPath: warden.stateDirectory + "/logs")
        kill(pid, SIGKILL)
        try waitFor("restarted", timeout: 10) {
            let now = try warden.processPID("s")
            let state = try warden.state("s")
            return now != nil && now != pid && state == "RUNNING"
        }
        #expect(FileManager.default.fileExists(atPath: warden.stateDirectory + "/logs"))
        #expect(warden.stderrText().contains("which had been removed"))
        #expect(try warden.terminate() == 0)
    }

    @Test("a state_dir whose socket path is unusable is refused before any worker starts")
    func unusableSocket() throws {
        let dir = "/tmp/wt-sock-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir + "/state/warden.sock", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = dir + "/w.toml"
        try """
            [supervisor]
            state_dir = "state"
            [programs.s]
            command = ["/bin/sleep", "1000"]
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try ChildProcess.runBlocking(wardenPath, ["run", "-c", config])
        #expect(result.status == 1)
        #expect(result.stderr.contains("not a socket"))
    }
}

extension RobustnessTests {
    @Test("Warden stopped for 2 s (SIGSTOP) counts a late sampling round in /v1/health and /metrics")
    func lateSamplingRound() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"
            sample_interval = "500ms"

            [programs.idle]
            command = ["sleep", "1000"]
            start_seconds = "100ms"
            """)
        func sampling() throws -> [String: Any] { try warden.health()["sampling"] as? [String: Any] ?? [:] }
        func lateMetric() throws -> Double? {
            try warden.metrics().split(separator: "\n").first { $0.hasPrefix("warden_sampling_rounds_late_total ") }
                .flatMap { Double($0.split(separator: " ")[1]) }
        }
        try waitFor("two sampling rounds", timeout: 10) { try sampling()["rounds"] as? Int ?? 0 >= 2 }
        let before = try #require(try sampling()["late_rounds"] as? Int)
        kill(warden.pid, SIGSTOP)
        Thread.sleep(forTimeInterval: 2)
        kill(warden.pid, SIGCONT)
        var after: [String: Any] = [:]
        try waitFor("a late round", timeout: 10) {
            after = try sampling()
            return after["late_rounds"] as? Int ?? 0 > before
        }
        let late = try #require(after["max_late_seconds"] as? Double)
        #expect(late >= 1 && late < 10, "\(after)")
        try waitFor("the metric", timeout: 10) { try lateMetric() ?? 0 >= 1 }
        #expect(try warden.metrics().contains("# TYPE warden_sampling_rounds_late_total counter"))
        #expect(try warden.terminate() == 0)
    }
}

@Suite("Reload ordering end to end", .serialized)
struct ReloadOrderingTests {
    @Test("changing numprocs starts the new instances only after the old ones are gone")
    func numprocsChange() throws {
        func config(_ numprocs: Int) -> String {
            """
            [supervisor]
            state_dir = "state"

            [programs.web]
            command = ["WORKLOAD", "stubborn"]
            numprocs = \(numprocs)
            start_seconds = "100ms"
            stop_timeout = "1s"
            """
        }
        let warden = try WardenProcess(config: config(2))
        try waitFor("both running", timeout: 10) { try warden.state("web:1") == "RUNNING" }
        try warden.writeConfig(config(1))
        kill(warden.pid, SIGHUP)
        try waitFor("the new instance running", timeout: 15) { try warden.state("web") == "RUNNING" }
        let events = warden.events().filter { $0["event"] as? String == "state-change" }
        let lastOldStop = try #require(events.lastIndex {
            ["web:0", "web:1"].contains($0["process"] as? String ?? "") && $0["new_state"] as? String == "STOPPED"
        })
        let newStart = try #require(events.firstIndex {
            $0["process"] as? String == "web" && $0["new_state"] as? String == "STARTING"
        })
        #expect(newStart > lastOldStop)
        #expect(try warden.terminate() == 0)
    }

    @Test("a reload leaves a stopped or exited program down with its new config, says so, and restarts the running ones")
    func changedButDown() throws {
        func config(_ seconds: Int, restart: String, extra: String = "") -> String {
            """
            [supervisor]
            state_dir = "state"

            [programs.pgleak]
            command = ["sleep", "\(seconds)"]
            start_seconds = "100ms"

            [programs.once]
            command = ["true"]
            start_seconds = "0s"
            restart = "\(restart)"

            [programs.api]
            command = ["sleep", "\(seconds)"]
            start_seconds = "100ms"
            \(extra)
            """
        }
        let warden = try WardenProcess(config: config(1000, restart: "never"))
        try waitFor("api running, once exited", timeout: 10) {
            try warden.state("api") == "RUNNING" && warden.state("once") == "EXITED" && warden.state("pgleak") == "RUNNING"
        }
        #expect(try warden.cli(["stop", "pgleak"]).status == 0)
        #expect(try warden.state("pgleak") == "STOPPED")
        let apiPID = try #require(try warden.processPID("api"))
        try warden.writeConfig(config(2000, restart: "on-failure", extra: "[programs.cron]\ncommand = [\"sleep\", \"1000\"]"))
        let reload = try warden.cli(["reload"])
        #expect(reload.status == 0, "\(reload.stderr)")
        let lines = reload.stdout.split(separator: "\n").map(String.init)
        #expect(Set(lines) == ["pgleak: command changed (stopped: not started)",
                               "once: restart never → on-failure (exited: not started)",
                               "api: command changed", "cron: added"], "\(lines)")
        try waitFor("api restarted, cron running", timeout: 10) {
            try warden.state("api") == "RUNNING" && warden.processPID("api") != apiPID && warden.state("cron") == "RUNNING"
        }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try warden.state("pgleak") == "STOPPED")
        #expect(try warden.state("once") == "EXITED")
        let changes = warden.events().filter { $0["event"] as? String == "state-change" && $0["reason"] as? String == "config-changed" }
        #expect(Set(changes.compactMap { $0["process"] as? String }) == ["api"], "\(changes)")
        // The stopped program took the new config: a start runs the new command.
        #expect(try warden.cli(["start", "pgleak"]).status == 0)
        let pid = try #require(try warden.processPID("pgleak"))
        let commandLine = try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
        #expect(commandLine.split(separator: "\0") == ["sleep", "2000"])
        #expect(try warden.terminate() == 0)
    }
}
