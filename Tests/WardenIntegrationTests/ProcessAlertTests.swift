import Foundation
import Testing
import WardenTestSupport

/// Restart loops and memory alerts end to end: a real Warden with a crashing and a leaking worker; the
/// alerts in `warden alerts --json`, `GET /v1/alerts` (and `?hours=`), `warden status` (LOOP) and a real
/// HTTP receiver of a `[notify.NAME]` sink.
@Suite("Process alerts end to end", .serialized)
struct ProcessAlertTests {
    static let supervisor = """
        [supervisor]
        state_dir = "state"
        sample_interval = "100ms"
        shutdown_timeout = "10s"
        """

    /// The crash-looping worker (`ProgramSnippets.crashLoop`, quiet after 3 s).
    static func crasher(_ extra: String = "") -> String { ProgramSnippets.crashLoop(quiet: "3s", extra) }

    static func alerts(_ warden: WardenProcess, _ target: String = "/v1/alerts") throws -> [[String: Any]] {
        try warden.getJSON(target)["alerts"] as? [[String: Any]] ?? []
    }

    @Test("a crash loop raises restart-loop (CLI, API, LOOP in status, a notification) and resolves after the quiet period")
    func crashLoop() async throws {
        let receiver = try await WebhookReceiver.start()
        do {
            let warden = try WardenProcess(config: """
                \(Self.supervisor)

                [notify.hooks]
                url = "\(receiver.url)/json"
                format = "json"
                events = ["process-alert", "process-alert-resolved"]

                \(Self.crasher())
                """)
            defer { _ = try? warden.terminate() }

            var loop: [String: Any] = [:]
            try waitFor("a restart-loop alert", timeout: 30) {
                loop = try warden.cliJSON(["alerts", "--json"])["alerts"].flatMap { $0 as? [[String: Any]] }?
                    .first { $0["kind"] as? String == "restart-loop" } ?? [:]
                return !loop.isEmpty
            }
            #expect(loop["process"] as? String == "crasher" && loop["reason"] as? String == "exit")
            #expect(loop["severity"] as? String == "critical" && loop["resolved_at"] is NSNull && loop["collector"] is NSNull)
            #expect((loop["occurrences"] as? Int ?? 0) >= 3)
            #expect((loop["message"] as? String ?? "").contains("restarts for exit within 30s"), "\(loop)")
            let api = try Self.alerts(warden).first { $0["kind"] as? String == "restart-loop" }
            #expect(api?["started_at"] as? String == loop["started_at"] as? String)

            let table = try warden.cli(["status"]).stdout
            let row = table.split(separator: "\n").first { $0.hasPrefix("crasher") } ?? ""
            #expect(row.contains(" LOOP"), "\(table)")
            let status = try #require(try warden.status()["crasher"])
            let restartLoop = try #require(status["restart_loop"] as? [String: Any])
            #expect(restartLoop["reason"] as? String == "exit" && (restartLoop["restarts"] as? Int ?? 0) >= 3)
            #expect(warden.stderrText().contains("restart loop: 3 restarts for exit within 30s"), "the warning log line")

            let opened = try await receiver.waitForRequest(timeout: 20) { $0.text.contains("\"event\":\"process-alert\"") }
            #expect(opened.text.contains("\"reason\":\"restart-loop\"") && opened.text.contains("\"alert_reason\":\"exit\""))

            // The loop ends when the restarts do: stopped, quiet for alert_quiet (3 s), resolved.
            _ = try warden.cli(["stop", "crasher"])
            let resolved = try await receiver.waitForRequest(timeout: 20) {
                $0.text.contains("\"event\":\"process-alert-resolved\"")
            }
            #expect(resolved.text.contains("\"process\":\"crasher\""))
            let after = try Self.alerts(warden).first { $0["kind"] as? String == "restart-loop" }
            #expect(after?["resolved_at"] is String)
            #expect(try warden.status()["crasher"]?["restart_loop"] is NSNull)
            try waitFor("the resolved alert in the history", timeout: 15) {
                try Self.alerts(warden, "/v1/alerts?hours=1").contains {
                    $0["kind"] as? String == "restart-loop" && $0["resolved_at"] is String
                }
            }
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    @Test("on_loop = \"stop\" stops the looping process with reason restart-loop, and it stays stopped")
    func stopOnLoop() throws {
        let warden = try WardenProcess(config: "\(Self.supervisor)\n\n" + Self.crasher("on_loop = \"stop\""))
        defer { _ = try? warden.terminate() }
        try waitFor("crasher stopped", timeout: 30) { try warden.state("crasher") == "STOPPED" }
        let restarts = try #require(try warden.status()["crasher"]?["restarts"] as? Int)
        #expect(restarts >= 3)
        #expect(warden.events().contains {
            $0["event"] as? String == "state-change" && $0["process"] as? String == "crasher"
                && $0["reason"] as? String == "restart-loop"
        })
        let description = try warden.status()["crasher"]?["description"] as? String ?? ""
        #expect(description.contains("restart loop"), "\(description)")
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try warden.state("crasher") == "STOPPED")
        #expect(try warden.status()["crasher"]?["restarts"] as? Int == restarts)
    }

    @Test("on_critical = \"alert\": a leak alert with rate, window and RSS in /v1/alerts, resolved when the growth stops")
    func memoryAlert() throws {
        let warden = try WardenProcess(config: """
            \(Self.supervisor)

            [programs.leaky]
            command = ["WORKLOAD", "leak", "--mb-per-min", "600", "--max-mb", "90"]
            start_seconds = "200ms"
            [programs.leaky.leak]
            window = "4s"
            sustain = "1s"
            on_critical = "alert"
            """)
        defer { _ = try? warden.terminate() }
        var leak: [String: Any] = [:]
        try waitFor("a leak alert", timeout: 30) {
            leak = try Self.alerts(warden).first { $0["kind"] as? String == "leak" } ?? [:]
            return !leak.isEmpty
        }
        #expect(leak["process"] as? String == "leaky" && leak["reason"] as? String == "memory-growth")
        #expect(leak["severity"] as? String == "critical")
        let evidence = try #require(leak["evidence"] as? [String: Any])
        #expect((evidence["rss_growth_mb_per_min"] as? Double ?? 0) > 15)
        #expect(evidence["window_seconds"] is Double && (evidence["rss_bytes"] as? Int ?? 0) > 0)
        #expect((leak["message"] as? String ?? "").contains("MiB/min"))
        #expect(warden.stderrText().contains("MiB/min"), "the log line carries the rate")
        // The workload stops growing at 90 MiB: the verdict no longer holds and the alert resolves.
        try waitFor("the leak alert resolved", timeout: 40) {
            try Self.alerts(warden).contains { $0["kind"] as? String == "leak" && $0["resolved_at"] is String }
        }
        #expect(try Self.alerts(warden).filter { $0["kind"] as? String == "leak" && $0["resolved_at"] is NSNull }.isEmpty)
        #expect(try warden.state("leaky") == "RUNNING", "alert only: never restarted")
        #expect(warden.events().contains { $0["event"] as? String == "process-alert-resolved" && $0["reason"] as? String == "leak" })
    }
}
