import Foundation
import Testing
import WardenTestSupport

/// A worker whose main thread called pthread_exit (state Z, live threads) is sampled through a live
/// thread, so its limits apply; a stop reports what it ended.
@Suite("Zombie leaders and stop reports end to end", .serialized)
struct ZombieLeaderTests {
    @Test("a zombie leader is sampled (RSS, fds, threads), fds_max restarts it, and its stop ends the whole group")
    func zombieLeaderSampled() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"
            sample_interval = "100ms"

            [programs.watched]
            command = ["WORKLOAD", "zombie-leader", "--mb", "40", "--fds", "30", "--threads", "4"]
            start_seconds = "100ms"

            [programs.limited]
            command = ["WORKLOAD", "zombie-leader", "--mb", "1", "--fds", "40", "--threads", "2"]
            start_seconds = "100ms"
            restart = "always"
            [programs.limited.leak]
            window = "5s"
            sustain = "500ms"
            fds_max = 20
            """)
        try waitFor("the leader to be a zombie", timeout: 10) {
            guard let pid = try warden.processPID("watched"),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
            return stat.contains(") Z ")
        }
        try waitFor("measurements of the zombie leader", timeout: 10) {
            let status = try warden.status()["watched"] ?? [:]
            return (status["rss_bytes"] as? NSNumber)?.intValue ?? 0 > 40 * 1_000_000
                && (status["fds"] as? NSNumber)?.intValue ?? 0 >= 30
                && (status["threads"] as? NSNumber)?.intValue ?? 0 >= 4
        }
        #expect(try warden.state("watched") == "RUNNING")
        try waitFor("fds-max restart of the zombie leader", timeout: 20) {
            warden.events().contains {
                $0["process"] as? String == "limited" && $0["event"] as? String == "leak-restart" && $0["reason"] as? String == "fds-max"
            }
        }

        // Stopping it ends the thread group (the zombie leader is not taken for gone before its threads).
        let pid = try #require(try warden.processPID("watched"))
        let stop = try warden.cli(["stop", "watched"])
        #expect(stop.stdout == "watched: STOPPED (ended pids [\(pid)])\n", "\(stop.stdout) \(stop.stderr)")
        let ended = (try warden.status()["watched"]?["last_stop_pids"] as? [NSNumber] ?? []).map(\.int32Value)
        #expect(ended == [pid])
        #expect(!isAlive(pid) && !FileManager.default.fileExists(atPath: "/proc/\(pid)/task"))
        let stopped = warden.events().last { $0["process"] as? String == "watched" && $0["new_state"] as? String == "STOPPED" }
        #expect((stopped?["message"] as? String ?? "").contains("ended pids [\(pid)]"))
        #expect(try warden.terminate() == 0)
    }

    @Test("a stop reports every process of the tree it ended, and which needed SIGKILL")
    func stopReportsPIDs() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.tree]
            command = ["/bin/sh", "-c", "trap '' TERM; sleep 1000 & sleep 1001 & wait"]
            start_seconds = "100ms"
            stop_timeout = "500ms"
            """)
        try waitFor("running", timeout: 10) { try warden.state("tree") == "RUNNING" }
        let pid = try #require(try warden.processPID("tree"))
        try waitFor("two children", timeout: 5) {
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? "").split(separator: " ").count == 2
        }
        let children = try String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)
            .split(separator: " ").compactMap { Int32($0) }
        let stop = try warden.cli(["stop", "tree"])
        #expect(stop.stdout.hasPrefix("tree: STOPPED (ended pids [\(pid), "), "\(stop.stdout)")
        let ended = (try warden.status()["tree"]?["last_stop_pids"] as? [NSNumber] ?? []).map(\.int32Value)
        #expect(Set(ended) == Set([pid] + children), "\(ended)")
        #expect(ended.first == pid)
        let message = warden.events().last { $0["process"] as? String == "tree" && $0["new_state"] as? String == "STOPPED" }?["message"] as? String ?? ""
        // The shell ignores TERM, and its `sleep`s inherited that: all of them needed SIGKILL.
        #expect(message.contains("(SIGKILL to [\(pid), "), "\(message)")
        #expect(warden.stderrText().contains("tree: STOPPING -> STOPPED (stop-timeout-killed), ended pids [\(pid), "))
        #expect(try warden.terminate() == 0)
    }
}
