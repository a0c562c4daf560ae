import Testing
import WardenPluginKit
import WardenPluginProtocol
@testable import warden_collector_postgres

/// Field definitions of the pool sample, from hand-made `pg_stat_activity` rows (pure).
@Suite struct PoolSampleBuilderTests {
    static let limits = ServerLimits(maxConnections: 100, superuserReserved: 3, reserved: 2)

    static func row(
        _ pid: Int32, _ state: String?, address: String? = "127.0.0.1", port: Int? = 40000,
        wait: String? = nil, transactionAge: Double? = nil, queryAge: Double? = nil
    ) -> ActivityRow {
        ActivityRow(
            pid: pid, state: state, clientAddress: address, clientPort: port, applicationName: nil,
            waitEventType: wait, connectionAgeSeconds: 100, transactionAgeSeconds: transactionAge,
            queryAgeSeconds: queryAge, stateAgeSeconds: 1)
    }

    static func build(_ rows: [ActivityRow], threshold: Double = 300, attribute: (String, Int) -> String? = { _, _ in nil }) -> PoolSample {
        PoolSampleBuilder.sample(
            pool: "postgres://h:5432/db", snapshot: ActivitySnapshot(limits: limits, rows: rows),
            workers: [WorkerTree(name: "api:0", program: "api", pid: 1, treePIDs: [1]),
                      WorkerTree(name: "idle:0", program: "idle", pid: 2, treePIDs: [2])],
            longRunningSeconds: threshold, collectedAt: "2026-01-01T00:00:00.000Z", attribute: attribute)
    }

    @Test func countsStatesAndReservedSlots() {
        let sample = Self.build([
            Self.row(1, "idle"), Self.row(2, "idle"), Self.row(3, "active", transactionAge: 0.1, queryAge: 0.1),
            Self.row(4, "idle in transaction", transactionAge: 5), Self.row(5, "active", wait: "Lock", transactionAge: 1, queryAge: 1),
        ])
        #expect(sample.max == 95)
        #expect(sample.idle == 2)
        #expect(sample.inUse == 3)
        #expect(sample.waiting == 1)
        #expect(sample.unattributed == 5)
        #expect(sample.byWorker == ["api:0": 0, "idle:0": 0])
    }

    @Test func hiddenStatesMakeWaitingUnknown() {
        let sample = Self.build([Self.row(1, nil, address: nil, port: nil), Self.row(2, "idle")])
        #expect(sample.waiting == nil)
        #expect(sample.inUse == 1)
    }

    @Test func attributesTCPClientsOnlyByEndpoint() {
        var asked: [String] = []
        let sample = Self.build([
            Self.row(1, "idle", port: 40001), Self.row(2, "idle", port: 40002),
            Self.row(3, "idle", address: nil, port: -1), Self.row(4, "idle", address: "10.0.0.9", port: 40001),
        ]) { address, port in
            asked.append("\(address):\(port)")
            return address == "127.0.0.1" && port == 40001 ? "api:0" : nil
        }
        #expect(sample.byWorker == ["api:0": 1, "idle:0": 0])
        #expect(sample.unattributed == 3)
        #expect(asked == ["127.0.0.1:40001", "127.0.0.1:40002", "10.0.0.9:40001"], "unix sockets are never looked up")
    }

    @Test func unixClientsAndMemoryComeFromTheBackendProcessesOfALocalServer() {
        let rows = [Self.row(1, "idle", port: 40001), Self.row(2, "idle", address: nil, port: -1),
                    Self.row(3, "active", address: nil, port: -1), Self.row(4, "idle", address: nil, port: -1)]
        let backends = BackendProcesses(
            unixClients: [2: "api:0", 3: "idle:0"],
            memory: [1: ProcessMemory(residentBytes: 10, proportionalBytes: 4),
                     2: ProcessMemory(residentBytes: 20, proportionalBytes: 5),
                     4: ProcessMemory(residentBytes: 99, proportionalBytes: 9)])
        let workers = [WorkerTree(name: "api:0", program: "api", pid: 1, treePIDs: [1]),
                       WorkerTree(name: "idle:0", program: "idle", pid: 2, treePIDs: [2])]
        let sample = PoolSampleBuilder.sample(
            pool: "postgres://h:5432/db", snapshot: ActivitySnapshot(limits: Self.limits, rows: rows), workers: workers,
            longRunningSeconds: 300, collectedAt: "t", backends: backends) { _, port in port == 40001 ? "api:0" : nil }
        #expect(sample.byWorker == ["api:0": 2, "idle:0": 1])
        #expect(sample.unattributed == 1, "backend 4: a unix client nobody supervised holds")
        #expect(sample.backendMemory == ["api:0": BackendMemory(backends: 2, rssBytes: 30, pssBytes: 9),
                                         "idle:0": BackendMemory(backends: 0, rssBytes: 0, pssBytes: 0)],
                "backend 3's memory was not read; backend 4 is nobody's")
        // A remote server: unix clients stay unattributed and there is no memory to report.
        let remote = PoolSampleBuilder.sample(
            pool: "postgres://h:5432/db", snapshot: ActivitySnapshot(limits: Self.limits, rows: rows), workers: workers,
            longRunningSeconds: 300, collectedAt: "t") { _, port in port == 40001 ? "api:0" : nil }
        #expect(remote.unattributed == 3 && remote.backendMemory == nil)
    }

    @Test func longRunningIsTransactionAgeOrActiveQueryAgeOverTheThreshold() {
        let sample = Self.build([
            Self.row(1, "idle in transaction", transactionAge: 400, queryAge: 399),
            Self.row(2, "active", transactionAge: 301, queryAge: 10),
            Self.row(3, "active", transactionAge: 299, queryAge: 299),
            Self.row(4, "idle", queryAge: 4000),
            Self.row(5, "idle in transaction (aborted)", address: nil, port: -1, transactionAge: 500),
            Self.row(6, "active", queryAge: 350),
        ], threshold: 300) { _, port in port == 40000 ? "api:0" : nil }
        #expect(sample.longRunning.map(\.id) == ["5", "1", "6", "2"])
        #expect(sample.longRunning.map(\.ageSeconds) == [500, 400, 350, 301])
        #expect(sample.longRunning[0].client == "local")
        #expect(sample.longRunning[0].worker == nil)
        #expect(sample.longRunning[1].state == "idle in transaction")
        #expect(sample.longRunning[1].worker == "api:0")
        #expect(sample.longRunning[1].client == "127.0.0.1:40000")
    }

    @Test func ipv4MappedAddressesAreUnmapped() {
        #expect(ActivityQuery.unmappedIPv4("::ffff:127.0.0.1") == "127.0.0.1")
        #expect(ActivityQuery.unmappedIPv4("::1") == "::1")
        #expect(PoolSampleBuilder.client(of: Self.row(1, "idle", address: "::1", port: 5)) == "[::1]:5")
    }
}
