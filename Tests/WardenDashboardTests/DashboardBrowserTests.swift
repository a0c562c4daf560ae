import Foundation
import Testing
import WardenDashboard
import WardenTestSupport

/// The dashboard in a real headless Chromium (Debian's `chromium` and `chromedriver`, driven by selenium from
/// `browser/dashboard_check.py`) against a real `warden run` with a leaking worker.
@Suite("Dashboard in headless Chromium", .serialized)
struct DashboardBrowserTests {
    @Test("login; a leaking worker started from the page turns critical without a reload; Restart changes the pid; charts draw from history; no console errors; 1280 and 390 px")
    func browserWalkthrough() throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing: run scripts/install-test-deps.sh")
        }
        let selenium = try ChildProcess.runBlocking("/usr/bin/env", ["python3", "-c", "import selenium"])
        try #require(selenium.status == 0, "python3 cannot import selenium: run scripts/install-test-deps.sh (\(selenium.stderr))")

        let warden = try DashboardWarden(programs: """
            [programs.leaky]
            command = ["WORKLOAD", "leak", "--mb-per-min", "600", "--max-mb", "400"]
            autostart = false
            start_seconds = "200ms"
            stop_timeout = "2s"
            [programs.leaky.leak]
            window = "5s"
            sustain = "1s"
            on_critical = "alert"
            cleanup_signal = "WINCH"

            [programs.steady]
            command = ["WORKLOAD", "steady"]
            numprocs = 2
            start_seconds = "200ms"
            """)
        let shots = warden.directory + "/screenshots"
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        let script = BuiltProducts.repository.appendingPathComponent("Tests/WardenDashboardTests/browser/dashboard_check.py").path
        let run = try ChildProcess.runBlocking("/usr/bin/env", [
            "python3", script, "--url", warden.url, "--token-file", warden.tokenPath,
            "--leaky", "leaky", "--steady", "steady:1", "--out", shots,
        ])
        print("dashboard screenshots: \(shots)")
        let findings = try JSONSerialization.jsonObject(with: Data((run.stdout.split(separator: "\n").last ?? "{}").utf8)) as? [String: Any] ?? [:]
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(findings["ok"] as? Bool == true, "\(findings)")
        let pids = findings["restart_pids"] as? [String] ?? []
        #expect(pids.count == 2 && pids[0] != pids[1], "\(pids)")
        #expect((findings["severities_seen"] as? [String])?.last == "critical")
        #expect((findings["rss_points"] as? Int ?? 0) >= 5)
        for name in ["overview-1280", "overview-390", "process-1280", "process-390", "pools-1280", "alerts-1280"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(shots)/\(name).png")[.size] as? Int) ?? 0
            #expect(size > 10_000, "screenshot \(name).png is missing or empty")
        }
    }
}

extension DashboardBrowserTests {
    @Test("with data: a PostgreSQL pool past 80 % (chart, 80/95 % lines, attribution, backend memory, unattributed, an idle transaction), pool and process alerts acknowledged and snoozed through the UI, LOOP and provisional grades, Stop confirmed by keyboard; screenshots at 1280 and 390 px")
    func browserWithData() async throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/pgbench", "/usr/bin/psql"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing: run scripts/install-test-deps.sh")
        }
        // A server of its own: the pool's usage must be this test's alone (suites run in parallel).
        let server = try await PostgresServer.start()
        defer { server.stop() }
        let environment = server.clientEnvironment(applicationName: "warden-dashboard")
        try #require(try ChildProcess.runBlocking("/usr/bin/pgbench", ["-i", "-s", "1", "-q"], environment: environment).status == 0, "pgbench -i")
        let libpq = server.clientEnvironmentTOML(applicationName: "warden-dashboard")
        // 38 of the pool's 47 slots (plus the idle transaction's): above 80 %, below 95 %.
        let holders = Int((Double(server.maxConnections - server.superuserReservedConnections) * 0.81).rounded(.up))
        let warden = try DashboardWarden(programs: """
            \(server.collectorTOML(thresholds: "high_usage_checks = 2"))

            [programs.bench]
            command = ["/usr/bin/pgbench", "-n", "-c", "\(holders)", "-j", "1", "-R", "4", "-T", "900"]
            environment = { \(libpq) }
            start_seconds = "200ms"

            \(server.idleTransactionTOML(program: "idletx", applicationName: "warden-dashboard"))

            [programs.leaky]
            command = ["WORKLOAD", "leak", "--mb-per-min", "60"]
            start_seconds = "200ms"
            stop_timeout = "2s"
            [programs.leaky.leak]
            window = "30s"
            sustain = "1s"
            on_critical = "alert"

            \(ProgramSnippets.crashLoop(quiet: "10m"))
            """)
        let shots = warden.directory + "/screenshots"
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        let script = BuiltProducts.repository.appendingPathComponent("Tests/WardenDashboardTests/browser/data_check.py").path
        let run = try ChildProcess.runBlocking("/usr/bin/env", [
            "python3", script, "--url", warden.url, "--token-file", warden.tokenPath, "--out", shots,
            "--pool-holder", "bench", "--idle-tx", "idletx", "--leaky", "leaky", "--looper", "crasher",
        ])
        print("dashboard screenshots with data: \(shots)")
        let findings = try JSONSerialization.jsonObject(with: Data((run.stdout.split(separator: "\n").last ?? "{}").utf8)) as? [String: Any] ?? [:]
        #expect(run.status == 0 && findings["ok"] as? Bool == true, "\(run.stdout)\n\(run.stderr)")
        #expect(findings["holder_connections"] as? Int == holders)
        #expect(findings["stopped_by_keyboard"] as? Bool == true)
        // The acknowledgement and the snooze were saved, owner-only, for the next Warden.
        let saved = warden.directory + "/state/" + Dashboard.acksFile
        let mode = (try? FileManager.default.attributesOfItem(atPath: saved)[.posixPermissions] as? Int) ?? -1
        #expect(mode == 0o600, "\(saved): mode \(String(mode, radix: 8))")
        let text = (try? String(contentsOfFile: saved, encoding: .utf8)) ?? ""
        #expect(text.contains("high-usage|postgres|") && text.contains("snoozed_until") && text.contains("acknowledged_at"), "\(text)")
        for name in ["overview-data-1280", "overview-data-390", "pools-data-1280", "pools-data-390", "alerts-data-1280",
                     "alerts-marked-1280", "alerts-data-390", "process-loop-1280", "process-loop-390", "confirm-1280"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(shots)/\(name).png")[.size] as? Int) ?? 0
            #expect(size > 10_000, "screenshot \(name).png is missing or empty")
        }
    }
}

/// A real `warden run` with the `[http]` listener on a free loopback port and a fresh token, in its own
/// directory under /tmp (kept: the screenshots are there; the workers stop at deinit).
final class DashboardWarden {
    let directory: String
    let tokenPath: String
    let port: Int
    private let process: ChildProcess

    var url: String { "http://127.0.0.1:\(port)" }

    init(programs: String, sampleInterval: String = "200ms") throws {
        directory = "/tmp/wdash-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        tokenPath = directory + "/token"
        try (UUID().uuidString + UUID().uuidString).write(toFile: tokenPath, atomically: false, encoding: .utf8)
        chmod(tokenPath, 0o600)
        port = FreePort.loopback()
        let config = """
            [supervisor]
            state_dir = "state"
            sample_interval = "\(sampleInterval)"
            shutdown_timeout = "10s"

            [http]
            listen = "127.0.0.1:\(port)"
            token_file = "\(tokenPath)"

            """ + programs.replacingOccurrences(of: "WORKLOAD", with: BuiltProducts.path("warden-workload"))
        try config.write(toFile: directory + "/warden.toml", atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: directory + "/warden.stderr", contents: nil)
        process = try ChildProcess(BuiltProducts.path("warden"), ["run", "-c", directory + "/warden.toml"],
                                   stdout: .discard, stderr: .file(directory + "/warden.stderr"))
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let probe = try ChildProcess.runBlocking("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", url + "/login"])
            if probe.stdout == "200" { return }
            usleep(100_000)
        }
        throw HarnessError("the dashboard did not answer on \(url) in 30 s")
    }

    deinit {
        process.signal(SIGTERM)
        if process.waitForExitBlocking(timeout: 20) == nil {
            process.kill()
            _ = process.waitForExitBlocking(timeout: 10)
        }
        try? FileManager.default.removeItem(atPath: directory + "/state")
    }
}
