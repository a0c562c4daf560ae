import Foundation
import WardenTestSupport

/// Looks at the test cluster directly (as the superuser over the unix socket) to know when the clients a
/// test started are connected and in the state it needs.
enum ServerProbe {
    /// Backend pids of client sessions with this `application_name`, in pid order.
    static func backends(_ server: PostgresServer, applicationName: String, state: String? = nil) async throws -> [Int32] {
        var sql = "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name = '\(applicationName)'"
        if let state { sql += " AND state = '\(state)'" }
        let text = try await server.superuserSQL(sql + " ORDER BY pid")
        return text.split(separator: "\n").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Client backends other than the probe's own and the collector's (`application_name`
    /// `warden-collector-postgres`).
    static func otherClientCount(_ server: PostgresServer) async throws -> Int {
        let text = try await server.superuserSQL("""
            SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'
            AND pid <> pg_backend_pid() AND application_name <> 'warden-collector-postgres'
            """)
        return Int(text) ?? -1
    }

    /// Ends every session a test started (`application_name` `test-…`) and waits until they are gone, so a
    /// test that counts every client starts from a clean server even after an earlier test failed.
    static func terminateTestSessions(_ server: PostgresServer) async throws {
        _ = try await server.superuserSQL(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'test-%'")
        _ = try await eventually(timeout: 10) {
            try await server.superuserSQL(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'test-%'") == "0"
        }
    }

    /// Polls `condition` every 100 ms until it holds; `false` after `timeout` seconds.
    static func eventually(timeout: Double = 15, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(timeout)
        repeat {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        } while ContinuousClock.now < deadline
        return try await condition()
    }
}
