import Foundation
import Testing

@Suite("Stopping process trees end to end", .serialized)
struct StopTests {
    private func config(_ name: String, _ args: String, marker: String, stopTimeout: String = "1s") -> String {
        """
        [supervisor]
        state_dir = "state"
        sample_interval = "100ms"
        shutdown_timeout = "5s"

        [programs.\(name)]
        command = ["WORKLOAD", \(args)]
        start_seconds = "300ms"
        stop_timeout = "\(stopTimeout)"
        environment = { WARDEN_TEST_RUN = "\(marker)" }
        """
    }

    @Test("a worker ignoring SIGTERM whose child ignores it too is gone, child included, within stop_timeout + 1 s",
          arguments: [#""stubborn""#, #""stubborn", "--child-setpgid""#])
    func stubbornTree(args: String) throws {
        let marker = UUID().uuidString
        let warden = try WardenProcess(config: config("stubborn", args, marker: marker))
        let log = warden.stateDirectory + "/logs/stubborn.out.log"
        try waitFor("the child to start", timeout: 10) { !printedPIDs("child", inLog: log).isEmpty }
        let pids = processes(withEnvironment: "WARDEN_TEST_RUN=\(marker)")
        #expect(pids.count == 2)
        let started = Date()
        let result = try warden.cli(["stop", "stubborn"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(elapsed < 2.5, "stop took \(elapsed) s")
        for pid in pids { #expect(!isAlive(pid), "pid \(pid) survived the stop") }
        #expect(try warden.state("stubborn") == "STOPPED")
        #expect(try warden.terminate() == 0)
    }

    @Test("a SIGSTOPped worker gets SIGCONT with the stop signal and exits gracefully, not by SIGKILL")
    func stoppedWorkerIsContinued() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.frozen]
            command = ["WORKLOAD", "steady"]
            start_seconds = "100ms"
            stop_timeout = "20s"
            """)
        try waitFor("RUNNING", timeout: 10) { try warden.state("frozen") == "RUNNING" }
        let pid = try #require(try warden.processPID("frozen"))
        kill(pid, SIGSTOP)
        let started = Date()
        #expect(try warden.cli(["stop", "frozen"]).status == 0)
        #expect(Date().timeIntervalSince(started) < 10, "stop waited for stop_timeout")
        let last = warden.events().last { $0["process"] as? String == "frozen" && $0["event"] as? String == "state-change" }
        #expect(last?["reason"] as? String == "stopped")
        #expect(!isAlive(pid))
        #expect(try warden.terminate() == 0)
    }

    @Test("a daemonized grandchild (new session) is killed on stop")
    func daemonKilled() throws {
        let marker = UUID().uuidString
        let warden = try WardenProcess(config: config("daemon", #""daemonize""#, marker: marker, stopTimeout: "2s"))
        let log = warden.stateDirectory + "/logs/daemon.out.log"
        try waitFor("the daemon", timeout: 10) { !printedPIDs("daemon", inLog: log).isEmpty }
        let daemon = try #require(printedPIDs("daemon", inLog: log).first)
        #expect(isAlive(daemon))
        #expect(try warden.cli(["stop", "daemon"]).status == 0)
        #expect(!isAlive(daemon))
        #expect(processes(withEnvironment: "WARDEN_TEST_RUN=\(marker)").isEmpty)
        #expect(try warden.terminate() == 0)
    }

    @Test("a daemon orphaned by its exiting parent is reaped into the tree and ended")
    func orphanedDaemon() throws {
        let marker = UUID().uuidString
        let warden = try WardenProcess(config: config("orphaner", #""daemonize", "--exit-parent""#, marker: marker)
            .replacingOccurrences(of: "start_seconds = \"300ms\"", with: "start_seconds = \"0s\"\nrestart = \"never\""))
        // The parent exited: Warden (the subreaper) ends the leftover daemon within stop_timeout — possibly
        // before the daemon has printed its pid, so it is found by its environment, not its output.
        try waitFor("the orphan to be ended", timeout: 10) {
            warden.events().contains { $0["event"] as? String == "orphans-killed" }
                && processes(withEnvironment: "WARDEN_TEST_RUN=\(marker)").isEmpty
        }
        let killed = warden.events().first { $0["event"] as? String == "orphans-killed" }
        #expect((killed?["message"] as? String ?? "").contains("leftover processes ["))
        #expect(try warden.terminate() == 0)
    }

    @Test("SIGTERM to Warden stops everything and leaves no process behind")
    func sigtermLeavesNothing() throws {
        let marker = UUID().uuidString
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"
            sample_interval = "200ms"
            shutdown_timeout = "3s"

            [programs.steady]
            command = ["WORKLOAD", "steady"]
            numprocs = 3
            start_seconds = "100ms"
            environment = { WARDEN_TEST_RUN = "\(marker)" }

            [programs.stubborn]
            command = ["WORKLOAD", "stubborn"]
            start_seconds = "100ms"
            stop_timeout = "1s"
            environment = { WARDEN_TEST_RUN = "\(marker)" }

            [programs.tree]
            command = ["WORKLOAD", "spawn-tree", "--children", "3"]
            start_seconds = "100ms"
            environment = { WARDEN_TEST_RUN = "\(marker)" }
            """)
        try waitFor("everything running", timeout: 15) {
            try warden.status().values.allSatisfy { $0["state"] as? String == "RUNNING" }
                && processes(withEnvironment: "WARDEN_TEST_RUN=\(marker)").count == 3 + 2 + 4
        }
        let started = Date()
        #expect(try warden.terminate(signal: SIGTERM) == 0)
        #expect(Date().timeIntervalSince(started) < 6)
        #expect(processes(withEnvironment: "WARDEN_TEST_RUN=\(marker)").isEmpty)
    }
}

/// Processes whose command line contains `marker` (a unique argument), by pid.
private func processes(withArgument marker: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data, as: UTF8.self).contains(marker) && isAlive(pid)
    }
}

@Suite("Adopted orphans end to end", .serialized)
struct AdoptedOrphanTests {
    @Test("a worker that forks and exits between two samples: its orphan is ended at once (orphans-killed)")
    func forkThenExitBetweenSamples() throws {
        let marker = "1003.\(Int.random(in: 100_000...999_999))"
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"
            sample_interval = "1s"

            [programs.forker]
            command = ["sh", "-c", "sleep 2.5; setsid sleep \(marker) & sleep 0.05; exit 1"]
            start_seconds = "100ms"
            restart = "never"
            stop_timeout = "1s"
            """)
        try waitFor("forker exited", timeout: 10) { try warden.state("forker") == "EXITED" }
        try waitFor("the orphan gone", timeout: 5) { processes(withArgument: marker).isEmpty }
        #expect(warden.events().contains { $0["process"] as? String == "forker" && $0["event"] as? String == "orphans-killed" })
        #expect(try warden.terminate() == 0)
    }

    @Test("an adopted process nobody accounts for (environment cleared) is ended at shutdown")
    func strayEndedAtShutdown() throws {
        let marker = "1004.\(Int.random(in: 100_000...999_999))"
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.daemonizer]
            command = ["sh", "-c", "(env -i /bin/sleep \(marker) &); exec sleep 1000"]
            start_seconds = "100ms"
            """)
        try waitFor("the stray running", timeout: 10) {
            try !processes(withArgument: marker).isEmpty && warden.state("daemonizer") == "RUNNING"
        }
        #expect(try warden.terminate() == 0)
        #expect(processes(withArgument: marker).isEmpty)
    }
}

