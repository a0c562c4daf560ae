import Foundation
import Testing
import WardenTestSupport

@Suite("PostgreSQL collector under a real Warden", .serialized)
struct PostgresHostTests {
    @Test("pgbench -c 8 is attributed 8 connections; idle in transaction is long-running with its worker; a connection leak is restarted")
    func postgresEndToEnd() async throws {
        let server = try await PostgresServer.shared.value
        let environment = server.clientEnvironment(applicationName: "warden-e2e")
        let initialize = try ChildProcess.runBlocking("/usr/bin/pgbench", ["-i", "-s", "1", "-q"], environment: environment).status
        #expect(initialize == 0, "pgbench -i")
        let libpq = server.clientEnvironmentTOML(applicationName: "warden-e2e")
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            \(server.collectorTOML(thresholds: "leak_checks = 3\nleak_min_connections = 3"))

            [programs.bench]
            command = ["/usr/bin/pgbench", "-n", "-c", "8", "-j", "2", "-T", "600"]
            environment = { \(libpq) }
            start_seconds = "200ms"

            \(server.idleTransactionTOML(program: "idletx", applicationName: "warden-e2e"))

            [programs.pgleak]
            command = ["/bin/sh", "-c", "while true; do (sleep 600 | psql -X -q) & sleep 0.3; done"]
            environment = { \(libpq) }
            start_seconds = "200ms"
            [programs.pgleak.leak]
            sustain = "2s"
            connection_leak = "restart"
            """)
        defer { _ = try? warden.terminate() }
        try waitFor("pgbench attributed 8 connections", timeout: 30) {
            let pools = try warden.cliJSON(["pools", "--json"])["pools"] as? [[String: Any]] ?? []
            return (pools.first?["by_worker"] as? [String: Any])?["bench"] as? Int == 8
        }
        let pool = try #require((try warden.cliJSON(["pools", "--json"])["pools"] as? [[String: Any]])?.first)
        #expect(pool["pool"] as? String == "postgres://127.0.0.1:\(server.port)/\(server.database)")
        #expect(pool["max"] as? Int == server.maxConnections - server.superuserReservedConnections)
        try waitFor("idle in transaction reported with its worker", timeout: 20) {
            let alerts = try warden.cliJSON(["alerts", "--json"])["alerts"] as? [[String: Any]] ?? []
            return alerts.contains {
                $0["kind"] as? String == "long-running" && $0["worker"] as? String == "idletx"
                    && ($0["message"] as? String ?? "").contains("idle in transaction")
            }
        }
        try waitFor("pgleak restarted for a connection leak", timeout: 40) {
            warden.events().contains {
                $0["event"] as? String == "leak-restart" && $0["reason"] as? String == "connection-leak"
                    && $0["process"] as? String == "pgleak"
            }
        }
        // The steady users were not restarted.
        #expect(try warden.status()["bench"]?["restarts"] as? Int == 0)
        #expect(try warden.status()["idletx"]?["restarts"] as? Int == 0)
        #expect(try warden.terminate() == 0)
        // No client of any tree is left connected.
        var remaining = -1
        for _ in 0..<50 {
            remaining = Int(try await server.superuserSQL(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = '\(server.appRole)' AND backend_type = 'client backend'")) ?? -1
            if remaining == 0 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(remaining == 0)
    }

    @Test("a leak of 5 connections/s against max_connections 60 is restarted with a fifth of the pool free, default sustain; its forecast came first; a steady client beside it is never refused")
    func fastLeakForecast() async throws {
        let server = try await PostgresServer.start(maxConnections: 60)
        defer { server.stop() }
        let libpq = server.clientEnvironmentTOML(applicationName: "warden-fast")
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [collectors.postgres]
            plugin = "warden-collector-postgres"
            interval = "1s"
            config = { url = "\(server.url())" }

            [programs.leaker]
            command = ["/bin/sh", "-c", "while true; do (sleep 600 | psql -X -q) & sleep 0.2; done"]
            environment = { \(libpq) }
            start_seconds = "200ms"
            [programs.leaker.leak]
            connection_leak = "restart"

            [programs.steady]
            command = ["/bin/sh", "-c", "for i in 1 2 3 4 5; do (sleep 600 | psql -X -q) & done; while true; do psql -X -q -t -c 'select 1' >/dev/null || exit 3; sleep 0.2; done"]
            environment = { \(libpq) }
            start_seconds = "200ms"
            """)
        defer { _ = try? warden.terminate() }
        try waitFor("connection-leak restart", timeout: 60) {
            warden.events().contains { $0["event"] as? String == "leak-restart" && $0["reason"] as? String == "connection-leak" }
        }
        let events = warden.events()
        let restartAt = try #require(events.firstIndex { $0["event"] as? String == "leak-restart" })
        #expect(events[restartAt]["process"] as? String == "leaker")
        let forecast = try #require(events[..<restartAt].first {
            $0["event"] as? String == "pool-alert" && $0["reason"] as? String == "exhaustion-forecast"
        }, "the forecast was in the event stream before the verdict")
        #expect(forecast["process"] as? String == "leaker" && forecast["severity"] as? String == "warning")
        let evidence = forecast["evidence"] as? [String: Any] ?? [:]
        #expect((evidence["forecast"] as? String ?? "").hasPrefix("pool exhausted in ~"), "\(evidence)")
        #expect((evidence["forecast_seconds"] as? Double ?? 0) > 0)

        let alerts = try warden.cliJSON(["alerts", "--json"])["alerts"] as? [[String: Any]] ?? []
        let leak = try #require(alerts.first { $0["kind"] as? String == "connection-leak" })
        let message = leak["message"] as? String ?? ""
        #expect(message.contains("before the 60 s sustain"), "\(message)")
        let held = try #require(message.firstMatch(of: #/the pool held (\d+) of (\d+) connections/#), "\(message)")
        let (taken, max) = (Int(held.1) ?? 0, Int(held.2) ?? 0)
        #expect(max == 57 && Double(max - taken) / Double(max) >= 0.2, "restarted with \(taken) of \(max) taken")
        #expect(!alerts.contains { $0["kind"] as? String == "exhaustion" }, "the pool never reached 95 %")
        try await Task.sleep(for: .seconds(2))
        #expect(try warden.status()["steady"]?["restarts"] as? Int == 0, "the steady client was never refused")
        #expect(try warden.terminate() == 0)
    }
}
