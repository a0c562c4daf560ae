import Foundation
import Testing
import WardenTestSupport

/// A full disk and a removed state directory: the event log stays valid JSON lines, losses are visible
/// at once, and Warden puts back what was removed.
@Suite("Disk failures end to end", .serialized)
struct DiskFailureTests {
    /// Every line of `path` (the raw text), and those that do not parse as a JSON object.
    static func invalidLines(_ path: String) -> (lines: Int, invalid: [String], endsWithNewline: Bool) {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return (0, [], true) }
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
        let invalid = lines.filter { (try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]) == nil }
        return (lines.count, invalid.map { String(decoding: $0.prefix(200), as: UTF8.self) }, data.last == 0x0A)
    }

    @Test("a tiny tmpfs filled by a flood worker, then freed: every line of events.jsonl parses, supervision goes on, losses counted",
          .enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func fullDiskEventLog() throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("wt-\(UUID().uuidString.prefix(8))")
        let small = directory.appendingPathComponent("state").path
        let unmount = try mountSmallTmpfs(in: directory, name: "state")
        defer { unmount() }
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"
            log_backups = 0

            [programs.flood]
            command = ["/bin/sh", "-c", "while :; do head -c 30000 /dev/zero | tr '\\\\0' x; echo; sleep 0.005; done"]
            start_seconds = "0s"

            [programs.crasher]
            command = ["/bin/sh", "-c", "sleep 0.2; exit 1"]
            start_seconds = "100ms"
            backoff = "100ms"
            backoff_max = "100ms"
            start_limit_burst = 0

            [programs.worker]
            command = ["/bin/sleep", "1000"]
            start_seconds = "0s"
            """, directory: directory)
        func counter(_ key: String) throws -> Int { (try warden.health()[key] as? NSNumber)?.intValue ?? 0 }
        try waitFor("output dropped", timeout: 20) { try counter("output_dropped_bytes") > 0 }
        try waitFor("events lost", timeout: 20) { try counter("events_failed_writes") > 0 }
        #expect(warden.stderrText().contains("events.jsonl: an event was lost"))
        #expect(warden.stderrText().contains("workers' output is being lost"))
        #expect(try warden.metrics().contains("warden_output_dropped_bytes_total "))
        // Supervision never paused: the crasher keeps being restarted while the disk is full.
        let restarts = try warden.status()["crasher"]?["restarts"] as? Int ?? 0
        try waitFor("restarts while full", timeout: 15) { try warden.status()["crasher"]?["restarts"] as? Int ?? 0 > restarts + 3 }
        #expect(try warden.state("worker") == "RUNNING")

        // Free the disk: the flood stops and its log goes.
        #expect(try warden.cli(["stop", "flood"]).status == 0)
        try? FileManager.default.removeItem(atPath: small + "/logs/flood.out.log")
        let lost = try counter("events_failed_writes")
        let written = Self.invalidLines(small + "/events.jsonl").lines
        try waitFor("events written again", timeout: 15) { Self.invalidLines(small + "/events.jsonl").lines > written + 5 }
        #expect(try counter("events_failed_writes") == lost)
        #expect(try warden.terminate() == 0)
        let check = Self.invalidLines(small + "/events.jsonl")
        #expect(check.invalid.isEmpty, "invalid lines: \(check.invalid)")
        #expect(check.endsWithNewline)
        #expect(check.lines > 10)
    }

    @Test("a removed state_dir is made again: lock, control socket, notify socket, logs and events")
    func removedStateDirectory() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.chatty]
            command = ["/bin/sh", "-c", "while :; do echo hello; sleep 0.1; done"]
            start_seconds = "0s"

            [programs.ready]
            command = ["/bin/sh", "-c", "systemd-notify --ready; exec sleep 1000"]
            ready = "notify"
            notify_access = "all"
            """)
        try waitFor("running", timeout: 10) { try warden.state("chatty") == "RUNNING" && warden.state("ready") == "RUNNING" }
        try FileManager.default.removeItem(atPath: warden.stateDirectory)
        try waitFor("the control socket back", timeout: 10) { (try? warden.status()) != nil }
        #expect(try String(contentsOfFile: warden.stateDirectory + "/warden.lock", encoding: .utf8) == "\(warden.pid)\n")
        // No second Warden can take the directory now.
        let second = try ChildProcess.runBlocking(wardenPath, ["run", "-c", warden.configPath])
        #expect(second.status == 1)
        #expect(second.stderr.contains("pid \(warden.pid)"))
        // Output and events go to new files, not to the deleted ones.
        try waitFor("the log again", timeout: 10) {
            FileManager.default.fileExists(atPath: warden.stateDirectory + "/logs/chatty.out.log")
        }
        #expect(try warden.cli(["restart", "ready"]).status == 0)
        #expect(try warden.state("ready") == "RUNNING")
        #expect(warden.events().contains { $0["process"] as? String == "ready" && $0["new_state"] as? String == "RUNNING" })
        #expect(FileManager.default.fileExists(atPath: warden.stateDirectory + "/notify.sock"))
        #expect(try warden.terminate() == 0)
    }
}
