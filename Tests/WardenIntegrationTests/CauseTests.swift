import Foundation
import Testing
import WardenTestSupport

/// Item "the cause travels with the state": REASON, FATAL rows, `warden start`, spawn errors, the STARTING pid.
@Suite("Causes in status, events, start and the log", .serialized)
struct CauseTests {
    @Test("a crash and a kill -9: REASON says how the process ended; STARTING events carry the pid")
    func exitCauses() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.crasher]
            command = ["sh", "-c", "sleep 0.3; exit 1"]
            restart = "always"
            start_seconds = "0s"

            [programs.victim]
            command = ["sleep", "100"]
            start_seconds = "0s"
            """)
        try waitFor("a restart after exit status 1", timeout: 10) {
            try warden.status()["crasher"]?["last_restart_cause"] as? String == "exit status 1"
        }
        let pid = try #require(try warden.processPID("victim"))
        kill(pid, SIGKILL)
        try waitFor("a restart after SIGKILL", timeout: 10) {
            try warden.status()["victim"]?["last_restart_cause"] as? String == "killed by signal 9 (SIGKILL)"
        }
        let table = try warden.cli(["status", "victim"])
        #expect(table.stdout.contains("killed by signal 9 (SIGKILL)"), "\(table.stdout)")
        let starts = warden.events().filter { $0["process"] as? String == "victim" && $0["new_state"] as? String == "STARTING" }
        #expect(starts.count == 2)
        #expect(starts.allSatisfy { ($0["pid"] as? NSNumber) != nil })
        #expect((starts.last?["pid"] as? NSNumber)?.int32Value == (try warden.processPID("victim")))
        #expect(starts.last?["message"] as? String == "killed by signal 9 (SIGKILL)")
        let stderr = warden.stderrText()
        #expect(stderr.contains("victim: RUNNING -> EXITED (exit): killed by signal 9 (SIGKILL)"), "\(stderr.suffix(2000))")
        #expect(stderr.contains("victim: EXITED -> STARTING (exit): restart after killed by signal 9 (SIGKILL)"))
        #expect(try warden.terminate() == 0)
    }

    @Test("a missing directory: the FATAL row, warden start, status --json and events.jsonl say so")
    func missingDirectory() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.app]
            command = ["sleep", "100"]
            directory = "/nonexistent/app"
            start_retries = 1
            backoff = "100ms"
            """)
        try waitFor("FATAL", timeout: 10) { try warden.state("app") == "FATAL" }
        let cause = "directory /nonexistent/app does not exist"
        let table = try warden.cli(["status"])
        #expect(table.stdout.contains("\(cause); gave up after 2 failed starts"), "\(table.stdout)")
        let json = try #require(try warden.status()["app"])
        #expect(json["spawn_error"] as? String == cause)
        let failures = warden.events().filter { $0["process"] as? String == "app" && $0["old_state"] as? String == "STARTING" }
        #expect(failures.count == 2 && failures.allSatisfy { $0["message"] as? String == cause })
        #expect(failures.map { $0["reason"] as? String } == ["spawn-failed", "start-retries-exhausted"])
        let start = try warden.cli(["start", "app"])
        #expect(start.status == 1)
        #expect(start.stderr.contains("app is FATAL (\(cause); gave up after 2 failed starts)"), "\(start.stderr)")
        #expect(try warden.terminate() == 0)
    }

    @Test("a missing executable names the absolute path it tried, resolved against the config's directory")
    func missingExecutable() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.leak]
            command = ["./leak.py"]
            start_retries = 0
            """)
        try waitFor("FATAL", timeout: 10) { try warden.state("leak") == "FATAL" }
        let tried = warden.directory.appendingPathComponent("leak.py").path
        let json = try #require(try warden.status()["leak"])
        #expect(json["spawn_error"] as? String == "cannot find executable \"./leak.py\" (no executable file at \(tried))")
        #expect(try warden.terminate() == 0)
    }

    @Test("a relative command[0] with a slash runs from the config file's directory, not from directory")
    func relativeCommand() throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("wt-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("bin"), withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("bin/app.sh").path
        try "#!/bin/sh\necho \"ran in $(pwd)\"\nexec sleep 100\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.app]
            command = ["bin/app.sh"]
            directory = "/tmp"
            log_timestamps = false
            """, directory: directory)
        try waitFor("RUNNING", timeout: 10) { try warden.state("app") == "RUNNING" }
        try waitFor("output", timeout: 10) { try warden.cli(["logs", "app"]).stdout.contains("ran in /tmp") }
        #expect(try warden.terminate() == 0)
    }
}
