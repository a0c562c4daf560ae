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
}
