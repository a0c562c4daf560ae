import Foundation
import Testing
import WardenTestSupport

/// Warden's metrics as a fleet reads them: `/metrics` on the control socket and on the TCP listener with
/// its bearer token, scraped by a real Prometheus (Debian's), queried with PromQL; and the shipped rules.
@Suite("Prometheus end to end", .serialized)
struct PrometheusTests {
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test("a real Prometheus scrapes the TCP listener with the token; PromQL finds the leaking worker's series and its restart")
    func scrapedByPrometheus() async throws {
        let tokenDirectory = NSTemporaryDirectory() + "warden-token-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: tokenDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tokenDirectory) }
        let tokenPath = tokenDirectory + "/token"
        let token = UUID().uuidString + UUID().uuidString
        try (token + "\n").write(toFile: tokenPath, atomically: false, encoding: .utf8)
        chmod(tokenPath, 0o600)
        let port = FreePort.loopback()

        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"
            sample_interval = "100ms"
            shutdown_timeout = "10s"

            [http]
            listen = "127.0.0.1:\(port)"
            token_file = "\(tokenPath)"

            \(fastLeakingProgram)

            [programs.idle]
            command = ["WORKLOAD", "steady"]
            autostart = false
            """)
        defer { _ = try? warden.terminate() }

        // The TCP listener refuses a request without the token, and serves one with it.
        let refused = try await ChildProcess.run(
            "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/metrics"])
        #expect(refused.stdout == "401")

        let prometheus = try await PrometheusServer.start(configuration: """
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: warden
                scrape_interval: 1s
                honor_labels: true
                authorization:
                  type: Bearer
                  credentials_file: \(tokenPath)
                static_configs:
                  - targets: ["127.0.0.1:\(port)"]
            """)
        do {
            // The leaking worker is graded, restarted for memory-growth, and all of it reaches Prometheus.
            let deadline = Date().addingTimeInterval(60)
            var restarts: [[String: Any]] = []
            while Date() < deadline {
                restarts = try await prometheus.query(#"warden_process_restarts_total{program="leaky",reason="memory-growth"} >= 1"#)
                if !restarts.isEmpty { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(!restarts.isEmpty, "no memory-growth restart in Prometheus; its log: \(prometheus.log)")
            let up = try await prometheus.query(#"up{job="warden"}"#)
            #expect((up.first?["value"] as? [Any])?.last as? String == "1")
            let memory = try await prometheus.query(#"warden_process_resident_memory_bytes{program="leaky", instance="leaky"}"#)
            let bytes = Double((memory.first?["value"] as? [Any])?.last as? String ?? "") ?? 0
            #expect(bytes > 10_000_000, "the leaking worker's RSS: \(memory)")
            let idle = try await prometheus.query(#"warden_process_state{instance="idle", state="STOPPED"}"#)
            #expect((idle.first?["value"] as? [Any])?.last as? String == "1", "a STOPPED instance has its state series")
            let own = try await prometheus.query(#"process_resident_memory_bytes{job="warden"}"#)
            #expect(!own.isEmpty, "Warden's own process metrics")
        } catch {
            await prometheus.stop()
            throw error
        }
        await prometheus.stop()

        // The control socket serves the same exposition, which promtool accepts.
        let text = try warden.metrics()
        let file = warden.directory.appendingPathComponent("metrics.txt").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let lint = try await ChildProcess.run("/bin/sh", ["-c", "promtool check metrics < '\(file)'"])
        #expect(lint.status == 0 && lint.stdout.isEmpty && lint.stderr.isEmpty, "\(lint.stdout) \(lint.stderr)")
        #expect(try warden.terminate() == 0)
    }

    @Test("the shipped alerting rules pass promtool check and their unit tests; the scrape example is a valid config")
    func shippedRules() async throws {
        let directory = Self.repository.appendingPathComponent("etc/prometheus").path
        let check = try await ChildProcess.run("/usr/bin/promtool", ["check", "rules", directory + "/warden-rules.yml"])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(check.stdout.contains("6 rules found"))
        let unit = try await ChildProcess.run("/usr/bin/promtool", ["test", "rules", "warden-rules.test.yml"], directory: directory)
        #expect(unit.status == 0, "\(unit.stdout) \(unit.stderr)")
        // The example names /etc/prometheus/warden.token; check it against a token file of our own.
        let scratch = NSTemporaryDirectory() + "warden-promcfg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try "token".write(toFile: scratch + "/warden.token", atomically: true, encoding: .utf8)
        let example = try String(contentsOfFile: directory + "/prometheus.yml", encoding: .utf8)
            .replacingOccurrences(of: "/etc/prometheus/warden.token", with: scratch + "/warden.token")
        try example.write(toFile: scratch + "/prometheus.yml", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: directory + "/warden-rules.yml", toPath: scratch + "/warden-rules.yml")
        let config = try await ChildProcess.run("/usr/bin/promtool", ["check", "config", scratch + "/prometheus.yml"])
        #expect(config.status == 0, "\(config.stdout) \(config.stderr)")
    }
}
