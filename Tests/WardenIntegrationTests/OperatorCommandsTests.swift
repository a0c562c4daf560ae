import Foundation
import Testing
import WardenTestSupport

/// The operator's everyday commands through the real CLI against a real Warden: logs, signal, events -f,
/// --version, the default config file.
@Suite("Operator commands end to end", .serialized)
struct OperatorCommandsTests {
    /// A worker printing `line N` 30 times, 40 ms apart, then exiting; restarted at once.
    static let counter = """
        [supervisor]
        state_dir = "state"
        log_max_bytes = "1KB"
        log_backups = 2

        [programs.counter]
        command = ["sh", "-c", "i=0; while [ $i -lt 30 ]; do echo line $i; echo err $i >&2; i=$((i+1)); sleep 0.04; done"]
        restart = "always"
        start_seconds = "0s"
        start_limit_burst = 0
        """

    @Test("logs -f follows across rotations and restarts: timestamps, a marker per pid, no line lost")
    func logsFollow() throws {
        let warden = try WardenProcess(config: Self.counter)
        let follower = try ChildProcess(wardenPath, ["logs", "--socket", warden.socketPath, "counter", "-f", "-n", "0"])
        defer { follower.kill() }
        // Three processes' worth of output is well past 1 KB: the file rotated several times meanwhile.
        try waitFor("three start markers", timeout: 30) {
            follower.stdout.text.components(separatedBy: "--- warden: counter started, pid ").count >= 4
        }
        let lines = follower.stdout.text.split(separator: "\n").map(String.init)
        let stamp = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /#
        #expect(lines.allSatisfy { $0.contains(stamp) }, "\(lines.prefix(5))")
        // Between two markers, one whole run: line 0 … line 29 in order.
        var runs: [[String]] = []
        var pids: [String] = []
        for line in lines.map({ String($0.dropFirst(25)) }) {
            if line.hasPrefix("--- warden: counter started, pid ") {
                pids.append(String(line.dropFirst(33).prefix { $0.isNumber }))
                runs.append([])
            } else if !runs.isEmpty {
                runs[runs.count - 1].append(line)
            }
        }
        #expect(Set(pids).count == pids.count)
        let complete = runs.dropFirst().dropLast()   // the first may have begun before -f, the last is running
        #expect(!complete.isEmpty)
        for run in complete { #expect(run == (0..<30).map { "line \($0)" }) }
        let rotated = FileManager.default.fileExists(atPath: warden.stateDirectory + "/logs/counter.out.log.1")
        #expect(rotated)

        let stderr = try warden.cli(["logs", "counter", "--stderr", "-n", "3"])
        #expect(stderr.status == 0)
        let tail = stderr.stdout.split(separator: "\n")
        #expect(tail.count == 3)
        #expect(tail.allSatisfy { $0.dropFirst(25).hasPrefix("err ") || $0.dropFirst(25).hasPrefix("--- warden:") })
        #expect(try warden.terminate() == 0)
    }

    @Test("logs: log_timestamps = false keeps lines as written; -n; an unknown name exits 1")
    func logsPlain() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.quiet]
            command = ["sh", "-c", "echo one; echo two; echo three; exec sleep 100"]
            log_timestamps = false
            """)
        try waitFor("output", timeout: 10) { try warden.cli(["logs", "quiet"]).stdout.contains("three") }
        let pid = try #require(try warden.processPID("quiet"))
        let all = try warden.cli(["logs", "quiet"])
        #expect(all.stdout == "--- warden: quiet started, pid \(pid) ---\none\ntwo\nthree\n", "\(all)")
        let two = try warden.cli(["logs", "quiet", "-n", "2"])
        #expect(two.stdout == "two\nthree\n", "\(two)")
        let silent = try warden.cli(["logs", "quiet", "--stderr"])
        #expect(silent.status == 0 && silent.stdout.isEmpty)
        #expect(silent.stderr == "no captured output yet: \(warden.stateDirectory)/logs/quiet.err.log\n")
        let unknown = try warden.cli(["logs", "nope"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("nope"))
        #expect(try warden.terminate() == 0)
    }

    @Test("signal sends any signal to the main process or its group through POST /v1/processes/signal")
    func signal() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.trapper]
            command = ["sh", "-c", "trap 'echo got USR1' USR1; trap 'echo got 40' 40; while :; do sleep 0.05; done"]
            log_timestamps = false

            [programs.idle]
            command = ["sleep", "100"]
            autostart = false
            """)
        try waitFor("RUNNING", timeout: 10) { try warden.state("trapper") == "RUNNING" }
        let pid = try #require(try warden.processPID("trapper"))
        let sent = try warden.cli(["signal", "trapper", "usr1"])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sent.stdout == "trapper: RUNNING \(pid)\n")
        try waitFor("the trap to run", timeout: 5) { try warden.cli(["logs", "trapper"]).stdout.contains("got USR1") }
        #expect(try warden.cli(["signal", "trapper", "40"]).status == 0)
        try waitFor("signal 40", timeout: 5) { try warden.cli(["logs", "trapper"]).stdout.contains("got 40") }

        // --group reaches the sleep child too: TERM ends the whole tree, and the worker is restarted.
        #expect(try warden.cli(["signal", "--group", "trapper", "TERM"]).status == 0)
        try waitFor("a new process", timeout: 10) {
            let now = try warden.processPID("trapper")
            return now != nil && now != pid
        }

        let idle = try warden.cli(["signal", "idle", "HUP"])
        #expect(idle.status == 1)
        #expect(idle.stderr.contains("no process to signal: idle (STOPPED)"))
        // `all` with one process down: the running one is signalled, the other reported.
        try waitFor("RUNNING again", timeout: 10) { try warden.state("trapper") == "RUNNING" }
        let current = try #require(try warden.processPID("trapper"))
        let all = try warden.cli(["signal", "all", "USR1"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(Set(all.stdout.split(separator: "\n")) == ["trapper: RUNNING \(current)", "idle: STOPPED - (not signalled: no process)"],
                "\(all.stdout)")
        try waitFor("the trap to run again", timeout: 5) {
            try warden.cli(["logs", "trapper"]).stdout.components(separatedBy: "got USR1").count == 3
        }
        let bad = try warden.cli(["signal", "trapper", "BOGUS"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("unknown signal \"BOGUS\""))
        #expect(try warden.cli(["signal", "nope", "HUP"]).status == 1)
        #expect(try warden.terminate() == 0)
    }

    @Test("events -f prints new events as they are recorded")
    func eventsFollow() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.web]
            command = ["sleep", "100"]
            start_seconds = "0s"
            """)
        try waitFor("RUNNING", timeout: 10) { try warden.state("web") == "RUNNING" }
        let follower = try ChildProcess(
            wardenPath, ["events", "--socket", warden.socketPath, "-f", "--process", "web", "--kind", "state-change"])
        defer { follower.kill() }
        try waitFor("the start", timeout: 15) { follower.stdout.text.contains("STARTING -> RUNNING") }
        let before = follower.stdout.text.components(separatedBy: "\n").count
        #expect(try warden.cli(["restart", "web"]).status == 0)
        try waitFor("the restart", timeout: 15) { follower.stdout.text.contains("RUNNING -> STOPPING") }
        try waitFor("the new start", timeout: 15) {
            follower.stdout.text.components(separatedBy: "STARTING -> RUNNING").count == 3
        }
        let lines = follower.stdout.text.split(separator: "\n")
        #expect(lines.count > before)
        #expect(lines.allSatisfy { $0.contains("  web  state-change  ") })
        #expect(Set(lines).count == lines.count, "a line printed twice")
        #expect(try warden.terminate() == 0)
    }

    @Test("-c defaults to $WARDEN_CONFIG; --version prints version, commit and build date")
    func defaultsAndVersion() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.web]
            command = ["sleep", "100"]
            """)
        var environment = ProcessInfo.processInfo.environment
        environment["WARDEN_CONFIG"] = warden.configPath
        let status = try ChildProcess.runBlocking(wardenPath, ["status"], environment: environment, directory: "/")
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("\nweb "))
        environment["WARDEN_CONFIG"] = "/nonexistent/warden.toml"
        let missing = try ChildProcess.runBlocking(wardenPath, ["status"], environment: environment, directory: "/")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/warden.toml"))

        let version = try ChildProcess.runBlocking(wardenPath, ["--version"])
        #expect(version.status == 0)
        let match = try #require(version.stdout.wholeMatch(of: #/warden (\d+\.\d+\.\d+) \(commit ([0-9a-z.\-]+), built (\d{4}-\d\d-\d\d)\)\n/#))
        let commit = String(match.output.2)
        // `git describe --always --dirty --abbrev=12`: HASH[-dirty], or TAG-N-gHASH[-dirty].
        let hash = try #require(commit.firstMatch(of: #/(?:^|-g)([0-9a-f]{12,})/#)?.output.1)
        let known = try ChildProcess.runBlocking(
            "/usr/bin/git", ["-C", BuiltProducts.repository.path, "cat-file", "-t", String(hash)])
        #expect(known.stdout == "commit\n", "\(commit) is not a commit of this repository")
        #expect(try warden.terminate() == 0)
    }

    @Test("warden reload prints what changed per program: numprocs old → new, command changed, added, removed")
    func reloadLines() throws {
        func config(numprocs: Int, apiSeconds: Int, extra: String) -> String {
            """
            [supervisor]
            state_dir = "state"

            [programs.web]
            command = ["sleep", "1000"]
            numprocs = \(numprocs)
            start_seconds = "100ms"

            [programs.api]
            command = ["sleep", "\(apiSeconds)"]
            start_seconds = "100ms"
            \(extra)
            """
        }
        let warden = try WardenProcess(config: config(numprocs: 2, apiSeconds: 1000,
                                                      extra: "[programs.old]\ncommand = [\"sleep\", \"1000\"]"))
        try waitFor("api running", timeout: 10) { try warden.state("api") == "RUNNING" }
        try warden.writeConfig(config(numprocs: 3, apiSeconds: 2000,
                                      extra: "[programs.cron]\ncommand = [\"sleep\", \"1000\"]\nstop_timeout = \"2s\""))
        let reload = try warden.cli(["reload"])
        #expect(reload.status == 0)
        let lines = reload.stdout.split(separator: "\n").map(String.init)
        #expect(Set(lines) == ["cron: added", "old: removed", "web: numprocs 2 → 3", "api: command changed"], "\(lines)")
        #expect(warden.events().contains {
            $0["event"] as? String == "reload" && ($0["message"] as? String ?? "").contains("api: command changed")
        })
        #expect(try warden.cli(["reload"]).stdout == "no changes\n")
        #expect(try warden.terminate() == 0)
    }

    @Test("stop twice: the second says the process was not running, not the first stop's pids; start all lists every process")
    func stopTwiceStartAll() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.web]
            command = ["sleep", "1000"]
            numprocs = 2
            start_seconds = "100ms"

            [programs.broken]
            command = ["no-such-binary-i13"]
            autostart = false
            start_retries = 0
            """)
        try waitFor("web running", timeout: 10) { try warden.state("web:1") == "RUNNING" }
        let pid = try #require(try warden.processPID("web:0"))
        let first = try warden.cli(["stop", "web:0"])
        #expect(first.status == 0 && first.stdout == "web:0: STOPPED (ended pids [\(pid)])\n", "\(first.stdout)")
        let second = try warden.cli(["stop", "web:0"])
        #expect(second.status == 0 && second.stdout == "web:0: STOPPED (was not running)\n", "\(second.stdout)")

        let start = try warden.cli(["start", "all"])
        #expect(start.status == 1)
        #expect(start.stderr.contains("broken is FATAL") && start.stderr.contains("running: web:0, web:1"), "\(start.stderr)")
        #expect(try warden.terminate() == 0)
    }
}
