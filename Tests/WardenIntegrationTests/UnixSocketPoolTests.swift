import Foundation
import Testing
import WardenTestSupport

/// A worker holding unix-socket connections to a Redis socket: `hold N` opens N (each answers PING) and keeps
/// them; `leak S` opens one more every S seconds and never closes any.
private let unixConnectionWorker = """
    import socket, sys, time
    path = sys.argv[1]; mode = sys.argv[2]; arg = float(sys.argv[3])
    held = []
    def connect():
        s = socket.socket(socket.AF_UNIX); s.connect(path); s.sendall(b"PING\\r\\n")
        if not s.recv(64).startswith(b"+PONG"): sys.exit(3)
        held.append(s)
    if mode == "hold":
        for _ in range(int(arg)): connect()
        while True: time.sleep(60)
    while True:
        connect(); time.sleep(arg)
    """

/// Unix-socket clients under a real Warden: attributed (never `unattributed`), a leaker restarted, and the
/// PostgreSQL backends' memory per worker in `warden pools`, `/v1/pools` and `/metrics`.
@Suite("Unix-socket pool clients under a real Warden", .serialized)
struct UnixSocketPoolTests {
    @Test("Redis over a unix socket: the clients are attributed (unattributed 0), a leaker is restarted (connection-leak), a steady pool of 5 is not")
    func redisUnixSocketLeak() async throws {
        let directory = try scriptDirectory()
        let socket = directory.appendingPathComponent("redis.sock").path
        let redis = try await RedisServer.start(unixSocket: socket)
        let worker = try writeScript(unixConnectionWorker, named: "unixconn.py", in: directory)
        let warden = try WardenProcess(config: redisCollectorConfig(port: redis.port, interval: "500ms") + leakerAndSteadyPrograms(
            leaker: ["python3", worker, socket, "leak", "0.25"], steady: ["python3", worker, socket, "hold", "5"]))
        defer { _ = try? warden.terminate() }
        try waitFor("steady pool attributed over the unix socket", timeout: 20) {
            let pools = try warden.cliJSON(["pools", "--json"])["pools"] as? [[String: Any]] ?? []
            return (pools.first?["by_worker"] as? [String: Any])?["steady"] as? Int == 5
        }
        let pool = try #require((try warden.cliJSON(["pools", "--json"])["pools"] as? [[String: Any]])?.first)
        #expect(pool["unattributed"] as? Int == 0, "every unix-socket client is a supervised worker's")
        #expect(((pool["by_worker"] as? [String: Any])?["leaker"] as? Int ?? 0) >= 1)
        try waitFor("connection-leak restart", timeout: 30) {
            warden.events().contains { $0["event"] as? String == "leak-restart" && $0["reason"] as? String == "connection-leak" }
        }
        let restart = try #require(warden.events().first { $0["event"] as? String == "leak-restart" })
        #expect(restart["process"] as? String == "leaker")
        #expect(try warden.status()["steady"]?["restarts"] as? Int == 0)
        #expect(try warden.terminate() == 0)
        await redis.stop()
    }

    @Test("PostgreSQL over its unix socket: a worker's sessions are attributed, and its backends' Rss/Pss show in warden pools, /v1/pools and /metrics")
    func postgresUnixSocketBackendMemory() async throws {
        let server = try await PostgresServer.shared.value
        let psql = "sleep 3600 | psql -X -q -h \(server.directory) -p \(server.port) -U \(server.appRole) -d \(server.database)"
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [collectors.pg]
            plugin = "warden-collector-postgres"
            interval = "500ms"
            config = { url = "\(server.url())" }

            [programs.db]
            command = ["/bin/sh", "-c", "(\(psql)) & (\(psql)) & wait"]
            start_seconds = "100ms"
            """)
        defer { _ = try? warden.terminate() }
        try waitFor("two unix-socket sessions attributed to db", timeout: 20) {
            let pools = try warden.cliJSON(["pools", "--json"])["pools"] as? [[String: Any]] ?? []
            return (pools.first?["by_worker"] as? [String: Any])?["db"] as? Int == 2
        }
        let pool = try #require((try warden.getJSON("/v1/pools")["pools"] as? [[String: Any]])?.first)
        #expect(pool["unattributed"] as? Int == 0)
        let memory = try #require((pool["backend_memory"] as? [String: [String: Any]])?["db"], "pool: \(pool)")
        #expect(memory["backends"] as? Int == 2)
        let rss = try #require(memory["rss_bytes"] as? Int), pss = try #require(memory["pss_bytes"] as? Int)
        #expect(rss > 2_000_000 && pss > 0 && pss < rss)
        // The default view: each holder with its backends' Rss/Pss; --wide: the BACKEND RSS/PSS column.
        let table = try warden.cli(["pools"])
        #expect(table.status == 0 && table.stdout.contains(#/by worker: db=2 \(\d+\.\d/\d+\.\dMiB\)/#), "\(table.stdout)")
        let wide = try warden.cli(["pools", "--wide"])
        #expect(wide.status == 0 && wide.stdout.contains("BACKEND RSS/PSS") && wide.stdout.contains(#/db=\d+\.\d/\d+\.\dMiB/#), "\(wide.stdout)")
        let metrics = try warden.metrics()
        #expect(metrics.contains("warden_pool_backend_resident_memory_bytes{collector=\"pg\""))
        #expect(metrics.contains("warden_pool_backend_proportional_memory_bytes{collector=\"pg\""))
        #expect(try warden.terminate() == 0)
    }
}
