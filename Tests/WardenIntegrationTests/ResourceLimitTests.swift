import Foundation
import Testing
import WardenTestSupport

/// A full fd table: spawns go on (the fd reserve) or back off without counting, and a worker recovers
/// once descriptors free up instead of staying FATAL.
@Suite("Resource limits end to end", .serialized)
struct ResourceLimitTests {
    @Test("control connections fill Warden's fd table (RLIMIT_NOFILE 128): the crashing worker never goes FATAL and recovers")
    func fullFDTable() throws {
        // prlimit runs warden with a hard limit of 128 descriptors (the launcher drops WardenProcess's
        // argv[0] argument).
        let launcher = ["/bin/sh", "-c", "shift; exec /usr/bin/prlimit --nofile=128:128 \"$0\" \"$@\""]
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"
            api_max_connections = 1000

            [programs.crasher]
            command = ["/bin/sh", "-c", "echo up; sleep 0.3; exit 1"]
            start_seconds = "0s"
            restart = "always"
            start_retries = 1
            start_limit_burst = 0
            backoff = "100ms"
            backoff_max = "200ms"
            """, launcher: launcher)
        try waitFor("the crasher restarting", timeout: 10) { try warden.status()["crasher"]?["restarts"] as? Int ?? 0 >= 2 }

        // Hold as many connections as the table lets Warden accept (non-blocking connects: a full backlog
        // must not hang the helper); they stay open until its stdin closes.
        let flood = try ChildProcess("/usr/bin/python3", ["-c", """
            import socket, sys
            held = []
            for _ in range(400):
                s = socket.socket(socket.AF_UNIX); s.setblocking(False)
                if s.connect_ex(sys.argv[1]) == 0: held.append(s)
                else: s.close()
            print(len(held), flush=True)
            sys.stdin.read()
            """, warden.socketPath], input: true)
        defer { flood.kill() }
        try waitFor("spawns out of descriptors", timeout: 20) {
            let log = warden.stderrText()
            return log.contains("out of file descriptors") || log.contains("out of resources")
        }
        // Some seconds of a full table: the crasher keeps being retried, never FATAL.
        usleep(3_000_000)
        try flood.closeInput()
        _ = flood.waitForExitBlocking(timeout: 10)
        try waitFor("the control API answering again", timeout: 20) { (try? warden.status()) != nil }
        let restarts = try warden.status()["crasher"]?["restarts"] as? Int ?? 0
        try waitFor("the crasher restarting again", timeout: 20) {
            try warden.status()["crasher"]?["restarts"] as? Int ?? 0 > restarts + 2
        }
        let crasherStates = warden.events().filter { $0["process"] as? String == "crasher" }.compactMap { $0["new_state"] as? String }
        #expect(!crasherStates.contains("FATAL"))
        #expect(try warden.state("crasher") != "FATAL")
        #expect(try warden.terminate() == 0)
    }
}
