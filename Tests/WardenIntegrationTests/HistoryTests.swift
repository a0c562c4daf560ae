import Foundation
import Testing
import WardenTestSupport

/// The history end to end: a real `warden run` writes STATE_DIR/history.sqlite; the CLI reads it back; a
/// second Warden on the same state directory still has it.
@Suite("History end to end", .serialized)
struct HistoryTests {
    static let config = """
        [supervisor]
        state_dir = "state"
        sample_interval = "100ms"
        shutdown_timeout = "10s"

        [programs.worker]
        command = ["WORKLOAD", "steady"]
        start_seconds = "100ms"
        """

    @Test("warden history and warden events read what the running Warden wrote, and the history survives a restart")
    func historySurvivesRestart() throws {
        let first = try WardenProcess(config: Self.config)
        try waitFor("worker samples in the history", timeout: 30) {
            let history = try first.cliJSON(["history", "worker", "--hours", "0.5", "--json"])
            return (history["points"] as? [[String: Any]] ?? []).count >= 20
        }
        let history = try first.cliJSON(["history", "worker", "--hours", "0.5", "--json"])
        #expect(history["process"] as? String == "worker")
        // 18 000 samples at 100 ms in half an hour: grouped per second to stay under 2000 points.
        #expect(history["resolution_seconds"] as? Double == 1)
        let points = history["points"] as? [[String: Any]] ?? []
        #expect((points.first?["rss_bytes"] as? Int ?? 0) > 0 && points.first?["time"] is String)
        let firstTime = points.first?["time"] as? String ?? ""

        let events = try first.cliJSON(["events", "--hours", "1", "--process", "worker", "--json"])
        let kinds = (events["events"] as? [[String: Any]] ?? []).compactMap { $0["event"] as? String }
        #expect(kinds.contains("process-added") && kinds.contains("state-change"))
        let table = try first.cli(["history", "worker", "--hours", "0.5"])
        #expect(table.status == 0 && table.stdout.contains("RSS MiB") && table.stdout.contains("worst severity"))
        let unknown = try first.cli(["history", "nope"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no such process"))
        #expect(try first.terminate() == 0)

        // The same state directory: the first run's samples are still there.
        let second = try WardenProcess(config: Self.config, directory: first.directory)
        let again = try second.cliJSON(["history", "worker", "--hours", "0.5", "--json"])
        let times = (again["points"] as? [[String: Any]] ?? []).compactMap { $0["time"] as? String }
        #expect(times.contains(firstTime), "the first run's first sample survives the restart")
        let health = try second.health()
        let account = health["history"] as? [String: Any]
        #expect(account?["open"] as? Bool == true && account?["moved_aside"] as? Int == 0)
        #expect(try second.terminate() == 0)
        try? FileManager.default.removeItem(at: first.directory)
    }

    @Test("a full disk pauses the history, supervision goes on, and writes resume once there is room",
          .enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func fullDisk() throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("wt-\(UUID().uuidString.prefix(8))")
        let small = directory.appendingPathComponent("small").path
        let unmount = try mountSmallTmpfs(in: directory, name: "small")
        defer { unmount() }
        let warden = try WardenProcess(config: Self.config + """

            [programs.crasher]
            command = ["/bin/sh", "-c", "sleep 0.3; exit 1"]
            start_seconds = "100ms"
            backoff = "100ms"
            backoff_max = "100ms"

            [history]
            path = "\(small)/history.sqlite"
            """, directory: directory)
        func account() throws -> [String: Any] { try warden.health()["history"] as? [String: Any] ?? [:] }
        try waitFor("history writing", timeout: 15) { try account()["batches_written"] as? Int ?? 0 > 5 }

        // Fill the file system to the last byte.
        let fillerPath = small + "/filler"
        let filler = try #require(FileHandle(forWritingAtPath: { FileManager.default.createFile(atPath: fillerPath, contents: nil); return fillerPath }()))
        let chunk = Data(count: 64 * 1024)
        while (try? filler.write(contentsOf: chunk)) != nil {}
        while (try? filler.write(contentsOf: Data(count: 512))) != nil {}
        try? filler.close()

        try waitFor("a failed history write", timeout: 30) { try account()["failed_batches"] as? Int ?? 0 > 0 }
        let failed = try account()
        #expect((failed["last_error"] as? String ?? "").contains("full"), "\(failed)")
        #expect(failed["open"] as? Bool == true)
        // Supervision is untouched: the worker runs, the crasher keeps being restarted.
        let restarts = try warden.status()["crasher"]?["restarts"] as? Int ?? 0
        try waitFor("the crasher restarted while the history is full", timeout: 15) {
            try warden.status()["crasher"]?["restarts"] as? Int ?? 0 > restarts + 2
        }
        #expect(try warden.state("worker") == "RUNNING")

        // Room again: writes resume within the pause (5 s, doubling while it stays full).
        try FileManager.default.removeItem(atPath: fillerPath)
        let written = try account()["batches_written"] as? Int ?? 0
        try waitFor("history writes resumed", timeout: 60) { try account()["batches_written"] as? Int ?? 0 > written + 5 }
        #expect(try account()["paused"] as? Bool == false)
        let points = try warden.cliJSON(["history", "worker", "--hours", "0.5", "--json"])["points"] as? [[String: Any]] ?? []
        #expect(!points.isEmpty)
        #expect(try warden.terminate() == 0)
    }
}
