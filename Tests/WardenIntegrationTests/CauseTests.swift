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
}
