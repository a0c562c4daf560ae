import Foundation
import Testing
import WardenPluginProtocol
import WardenTestSupport

/// The built `warden-collector-postgres`, driven through the JSON-lines protocol against a real throwaway
/// PostgreSQL cluster (`PostgresServer.shared`), with real psql/pgbench clients as workers.
///
/// Serialized: the tests count every client backend of the shared cluster.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct PostgresCollectorTests {
    /// Name the collector gives its own session (`application_name`), used by the probes.
    static let collectorApplicationName = "warden-collector-postgres"

    @Test func heldSessionsAreAttributedToTheirWorkerAndTheCollectorsOwnIsNot() async throws {
        let server = try await PostgresServer.shared.value
        try await ServerProbe.terminateTestSessions(server)
        let collector = try CollectorProcess()
        let held = try ClientProcess.heldSessions(3, server: server, applicationName: "test-held")
        defer { held.terminate(); collector.terminate() }

        guard case .hello(let hello) = try await collector.hello(url: server.url()) else {
            Issue.record("no hello answer; stderr: \(collector.stderrText)"); return
        }
        #expect(hello.name == "warden-collector-postgres")
        #expect(hello.protocolVersion == PluginProtocol.version)
        #expect(hello.capabilities.contains("pools"))

        #expect(try await ServerProbe.eventually { try await ServerProbe.backends(server, applicationName: "test-held").count == 3 })
        #expect(try await ServerProbe.eventually { try await ServerProbe.otherClientCount(server) == 3 })
        let worker = held.worker(named: "held:0", program: "held")
        #expect(worker.treePIDs.count == 4, "sh and its three psql children")
        // The collector itself as a "worker": had its own connection been counted, it would show here.
        let itself = WorkerTree(name: "collector:0", program: "collector", pid: collector.pid, treePIDs: [collector.pid])

        guard case .samples(let first) = try await collector.collect(seq: 1, workers: [worker, itself]) else {
            Issue.record("no samples; stderr: \(collector.stderrText)"); return
        }
        #expect(first.seq == 1)
        let sample = try #require(first.pools.first)
        #expect(first.pools.count == 1)
        #expect(sample.pool == "postgres://127.0.0.1:\(server.port)/app")
        #expect(sample.max == server.maxConnections - server.superuserReservedConnections)
        #expect(sample.byWorker["held:0"] == 3)
        #expect(sample.byWorker["collector:0"] == 0)
        #expect(sample.idle == 3, "the three psql sessions; the collector's own (active) backend is excluded")
        #expect(sample.inUse == 0)
        #expect(sample.waiting == 0)
        #expect(sample.unattributed == 0)
        #expect(sample.longRunning.isEmpty)
        #expect(!sample.collectedAt.isEmpty && sample.collectedAt.hasSuffix("Z"))

        // One persistent connection: the same backend serves the next round.
        let before = try await ServerProbe.backends(server, applicationName: Self.collectorApplicationName)
        guard case .samples(let second) = try await collector.collect(seq: 2, workers: [worker]) else {
            Issue.record("no samples for round 2; stderr: \(collector.stderrText)"); return
        }
        #expect(second.seq == 2)
        #expect(second.pools.first?.byWorker == ["held:0": 3])
        let after = try await ServerProbe.backends(server, applicationName: Self.collectorApplicationName)
        #expect(before.count == 1)
        #expect(before == after)

        await held.finish()
        #expect(await collector.stop() == 0)
        #expect(!collector.stderrText.contains(server.monitorPassword))
    }

    @Test func pgbenchWithEightClientsIsAttributedEightConnections() async throws {
        let server = try await PostgresServer.shared.value
        let initialize = try ClientProcess(
            "/usr/bin/pgbench", ["-i", "-s", "1", "-q"], environment: server.clientEnvironment(applicationName: "test-pgbench-init"))
        #expect(await initialize.waitForExit(timeout: 60) == 0, "pgbench -i")

        let bench = try ClientProcess(
            "/usr/bin/pgbench", ["-n", "-c", "8", "-j", "2", "-T", "20"],
            environment: server.clientEnvironment(applicationName: "test-pgbench"))
        let collector = try CollectorProcess()
        defer { bench.terminate(); collector.terminate() }
        guard case .hello = try await collector.hello(url: server.url()) else {
            Issue.record("no hello answer; stderr: \(collector.stderrText)"); return
        }
        #expect(try await ServerProbe.eventually { try await ServerProbe.backends(server, applicationName: "test-pgbench").count == 8 })

        let worker = bench.worker(named: "pgbench:0", program: "pgbench")
        guard case .samples(let answer) = try await collector.collect(seq: 1, workers: [worker]) else {
            Issue.record("no samples; stderr: \(collector.stderrText)"); return
        }
        let sample = try #require(answer.pools.first)
        #expect(sample.byWorker["pgbench:0"] == 8)
        #expect(sample.inUse + sample.idle >= 8)
        #expect(sample.unattributed == sample.inUse + sample.idle - 8)

        await bench.finish()
        #expect(await bench.waitForExit(timeout: 1) != nil, "pgbench is gone")
    }

    @Test func idleInTransactionAndLongQueriesAreLongRunningWithTheirWorker() async throws {
        let server = try await PostgresServer.shared.value
        let inTransaction = try ClientProcess.psql(server: server, applicationName: "test-txn")
        let longQuery = try ClientProcess.psql(server: server, applicationName: "test-long-query")
        let quiet = try ClientProcess.psql(server: server, applicationName: "test-quiet")
        let collector = try CollectorProcess()
        defer { inTransaction.terminate(); longQuery.terminate(); quiet.terminate(); collector.terminate() }

        try inTransaction.write("BEGIN;\nSELECT 1;\n")
        try longQuery.write("SELECT pg_sleep(60);\n")
        try quiet.write("SELECT 1;\n")
        #expect(try await ServerProbe.eventually {
            try await ServerProbe.backends(server, applicationName: "test-txn", state: "idle in transaction").count == 1
        })
        #expect(try await ServerProbe.eventually {
            try await ServerProbe.backends(server, applicationName: "test-long-query", state: "active").count == 1
        })
        #expect(try await ServerProbe.eventually {
            try await ServerProbe.backends(server, applicationName: "test-quiet", state: "idle").count == 1
        })
        let transactionBackend = try #require(try await ServerProbe.backends(server, applicationName: "test-txn").first)
        let queryBackend = try #require(try await ServerProbe.backends(server, applicationName: "test-long-query").first)
        let quietBackend = try #require(try await ServerProbe.backends(server, applicationName: "test-quiet").first)

        guard case .hello = try await collector.hello(url: server.url(), longRunningSeconds: 1) else {
            Issue.record("no hello answer; stderr: \(collector.stderrText)"); return
        }
        try await Task.sleep(for: .milliseconds(1500))  // past the 1 s threshold
        let workers = [
            WorkerTree(name: "orm:0", program: "orm", pid: inTransaction.pid, treePIDs: [inTransaction.pid, longQuery.pid]),
            quiet.worker(named: "quiet:0", program: "quiet"),
        ]
        guard case .samples(let answer) = try await collector.collect(seq: 1, workers: workers) else {
            Issue.record("no samples; stderr: \(collector.stderrText)"); return
        }
        let sample = try #require(answer.pools.first)
        #expect(sample.byWorker == ["orm:0": 2, "quiet:0": 1])
        #expect(sample.inUse >= 2 && sample.idle >= 1)

        let stuck = try #require(sample.longRunning.first { $0.id == String(transactionBackend) })
        #expect(stuck.worker == "orm:0")
        #expect(stuck.state == "idle in transaction")
        #expect(stuck.ageSeconds > 1 && stuck.ageSeconds < 60)
        #expect(stuck.client?.hasPrefix("127.0.0.1:") == true)

        let busy = try #require(sample.longRunning.first { $0.id == String(queryBackend) })
        #expect(busy.worker == "orm:0")
        #expect(busy.state == "active")
        #expect(busy.ageSeconds > 1)

        #expect(!sample.longRunning.contains { $0.id == String(quietBackend) }, "an idle session is not long-running")
        #expect(sample.longRunning.map(\.ageSeconds) == sample.longRunning.map(\.ageSeconds).sorted(by: >))
        // pg_sleep(60) would outlive its killed psql: end the server side too.
        try await ServerProbe.terminateTestSessions(server)
    }

    @Test func wrongPasswordIsAnErrorWithoutThePassword() async throws {
        let server = try await PostgresServer.shared.value
        let password = "Wr0ng-\(UUID().uuidString.prefix(8))"
        let collector = try CollectorProcess()
        defer { collector.terminate() }
        guard case .hello = try await collector.hello(url: server.url(password: password)) else {
            Issue.record("no hello answer; stderr: \(collector.stderrText)"); return
        }
        guard case .error(let failure) = try await collector.collect(seq: 1, workers: []) else {
            Issue.record("a wrong password must give an error"); return
        }
        #expect(failure.seq == 1)
        #expect(failure.message.contains("28P01"))
        #expect(failure.message.contains("password authentication failed"))
        #expect(failure.message.contains("postgres://127.0.0.1:\(server.port)/app"))
        #expect(!failure.message.contains(password))

        // The plugin keeps running: the next round fails the same way.
        guard case .error(let again) = try await collector.collect(seq: 2, workers: []) else {
            Issue.record("round 2 must fail too"); return
        }
        #expect(again.seq == 2)
        #expect(await collector.stop() == 0)
        #expect(!collector.stderrText.contains(password))
    }

    @Test func unreachablePortIsAnErrorWithoutThePassword() async throws {
        let port = FreePort.loopback()
        let password = "Unre4chable-\(UUID().uuidString.prefix(8))"
        let collector = try CollectorProcess()
        defer { collector.terminate() }
        guard case .hello = try await collector.hello(url: "postgres://warden_monitor:\(password)@127.0.0.1:\(port)/app") else {
            Issue.record("no hello answer; stderr: \(collector.stderrText)"); return
        }
        guard case .error(let failure) = try await collector.collect(seq: 1, workers: []) else {
            Issue.record("an unreachable server must give an error"); return
        }
        #expect(failure.seq == 1)
        #expect(failure.message.lowercased().contains("refused"))
        #expect(failure.message.contains("127.0.0.1:\(port)"))
        #expect(!failure.message.contains(password))
        #expect(await collector.stop() == 0)
        #expect(!collector.stderrText.contains(password))
    }

    @Test func malformedURLFailsTheHandshakeWithoutThePassword() async throws {
        let password = "Bad-Url-\(UUID().uuidString.prefix(8))"
        let collector = try CollectorProcess()
        defer { collector.terminate() }
        guard case .error(let failure) = try await collector.hello(url: "postgres://monitor:\(password)@127.0.0.1:notaport/app") else {
            Issue.record("a malformed URL must give an error"); return
        }
        #expect(failure.seq == nil)
        #expect(failure.message.contains("port"))
        #expect(!failure.message.contains(password))
        #expect(await collector.waitForExit(timeout: 10) == 1)
        #expect(!collector.stderrText.contains(password))
    }

    @Test func roleWithoutPgMonitorIsAPermissionError() async throws {
        let server = try await PostgresServer.shared.value
        let collector = try CollectorProcess()
        defer { collector.terminate() }
        guard case .hello = try await collector.hello(url: server.url(role: server.appRole)) else {
            Issue.record("no hello answer; stderr: \(collector.stderrText)"); return
        }
        guard case .error(let failure) = try await collector.collect(seq: 1, workers: []) else {
            Issue.record("a role that cannot see other sessions must give an error"); return
        }
        #expect(failure.message.contains("GRANT pg_monitor TO \(server.appRole)"))
        #expect(!failure.message.contains(server.appPassword))
    }

    @Test func terminatedConnectionIsReopenedWithinTheRound() async throws {
        let server = try await PostgresServer.shared.value
        let collector = try CollectorProcess()
        defer { collector.terminate() }
        guard case .hello = try await collector.hello(url: server.url()) else {
            Issue.record("no hello answer; stderr: \(collector.stderrText)"); return
        }
        guard case .samples = try await collector.collect(seq: 1, workers: []) else {
            Issue.record("no samples; stderr: \(collector.stderrText)"); return
        }
        let first = try await ServerProbe.backends(server, applicationName: Self.collectorApplicationName)
        #expect(first.count == 1)
        _ = try await server.superuserSQL("SELECT pg_terminate_backend(\(try #require(first.first)))")
        #expect(try await ServerProbe.eventually {
            try await ServerProbe.backends(server, applicationName: Self.collectorApplicationName).isEmpty
        })

        guard case .samples(let answer) = try await collector.collect(seq: 2, workers: []) else {
            Issue.record("the round after a lost connection must reconnect; stderr: \(collector.stderrText)"); return
        }
        #expect(answer.seq == 2)
        let second = try await ServerProbe.backends(server, applicationName: Self.collectorApplicationName)
        #expect(second.count == 1)
        #expect(second != first)
    }

    @Test func unixSocketClientsAreAttributedThroughTheBackendsSocket() async throws {
        let server = try await PostgresServer.shared.value
        try await ServerProbe.terminateTestSessions(server)
        let local = try ClientProcess.psql(server: server, applicationName: "test-unix", socket: true)
        let stranger = try ClientProcess.psql(server: server, applicationName: "test-unix-stranger", socket: true)
        let collector = try CollectorProcess()
        defer { local.terminate(); stranger.terminate(); collector.terminate() }
        try local.write("SELECT 1;\n")
        try stranger.write("SELECT 1;\n")
        #expect(try await ServerProbe.eventually {
            try await ServerProbe.backends(server, applicationName: "test-unix", state: "idle").count == 1
        })
        #expect(try await ServerProbe.eventually { try await ServerProbe.otherClientCount(server) == 2 })

        // The collector itself over the unix socket too (no password: the cluster trusts local logins).
        let encodedDirectory = server.directory.replacingOccurrences(of: "/", with: "%2F")
        guard case .hello = try await collector.hello(url: "postgres://\(server.monitorRole)@\(encodedDirectory):\(server.port)/app") else {
            Issue.record("no hello answer; stderr: \(collector.stderrText)"); return
        }
        guard case .samples(let answer) = try await collector.collect(seq: 1, workers: [local.worker(named: "local:0", program: "local")]) else {
            Issue.record("no samples; stderr: \(collector.stderrText)"); return
        }
        let sample = try #require(answer.pools.first)
        #expect(sample.pool == "postgres://\(encodedDirectory):\(server.port)/app")
        #expect(sample.byWorker["local:0"] == 1, "backend pid -> its socket -> unix_diag peer -> psql")
        #expect(sample.unattributed == 1, "the unsupervised psql")
        #expect(sample.idle == 2)
        #expect(sample.backendMemory?["local:0"]?.backends == 1)
    }

    @Test func workersOverTCPAndUnixSocketsAreAttributedWithTheirBackendsMemory() async throws {
        let server = try await PostgresServer.shared.value
        try await ServerProbe.terminateTestSessions(server)
        let overTCP = try ClientProcess.heldSessions(2, server: server, applicationName: "test-mem-tcp")
        let overUnix = try ClientProcess.heldSessions(3, server: server, applicationName: "test-mem-unix", socket: true)
        let collector = try CollectorProcess()
        defer { overTCP.terminate(); overUnix.terminate(); collector.terminate() }
        #expect(try await ServerProbe.eventually { try await ServerProbe.otherClientCount(server) == 5 })
        guard case .hello = try await collector.hello(url: server.url()) else {
            Issue.record("no hello answer; stderr: \(collector.stderrText)"); return
        }
        let me = getpid()
        let workers = [overTCP.worker(named: "tcp:0", program: "tcp"), overUnix.worker(named: "unix:0", program: "unix"),
                       WorkerTree(name: "none:0", program: "none", pid: me, treePIDs: [me])]
        guard case .samples(let answer) = try await collector.collect(seq: 1, workers: workers) else {
            Issue.record("no samples; stderr: \(collector.stderrText)"); return
        }
        let sample = try #require(answer.pools.first)
        #expect(sample.byWorker == ["tcp:0": 2, "unix:0": 3, "none:0": 0])
        #expect(sample.unattributed == 0)
        let memory = try #require(sample.backendMemory, "the server runs on this host")
        for (name, count) in [("tcp:0", 2), ("unix:0", 3)] {
            let worker = try #require(memory[name])
            #expect(worker.backends == count)
            #expect(worker.rssBytes > UInt64(count) * 1_000_000, "a backend's Rss is several MB")
            #expect(worker.pssBytes > 0 && worker.pssBytes < worker.rssBytes, "shared pages are split in Pss")
        }
        #expect(memory["none:0"] == BackendMemory(backends: 0, rssBytes: 0, pssBytes: 0))
        await overTCP.finish(); await overUnix.finish()
    }
}
