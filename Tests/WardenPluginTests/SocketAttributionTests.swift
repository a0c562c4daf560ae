import Foundation
import Testing
import WardenPluginKit
import WardenPluginProtocol

@Suite struct SocketAttributionTests {
    @Test func joinsEndpointToInodeToWorker() {
        let rows = ProcNetTCP.parse(tcpFixture) + ProcNetTCP.parse(tcp6Fixture)
        let workers = [WorkerTree(name: "api:0", program: "api", pid: 4242, treePIDs: [4242, 4250]),
                       WorkerTree(name: "jobs:0", program: "jobs", pid: 5000, treePIDs: [5000])]
        let attribution = SocketAttribution(
            workers: workers, socketInodesByPID: [4250: [98765], 5000: [5556], 77: [98766]], tcpRows: rows,
            collectorInodes: [5555])
        // The child 4250 holds the socket: it counts for its worker.
        #expect(attribution.worker(forClientHost: "127.0.0.1", port: 51234) == "api:0")
        #expect(attribution.holderPIDs(forClientHost: "127.0.0.1", port: 51234) == [4250])
        // A dual-stack server prints the IPv4 client as IPv4-mapped.
        #expect(attribution.worker(forClientHost: "::ffff:127.0.0.1", port: 51241) == "jobs:0")
        // The collector's own connection.
        #expect(attribution.holder(forClientHost: "::1", port: 51240) == .collector)
        #expect(attribution.worker(forClientHost: "::1", port: 51240) == nil)
        // The server end, held by a pid of no tree, and a TIME_WAIT row (inode 0).
        #expect(attribution.worker(forClientHost: "127.0.0.1", port: 5432) == nil)
        #expect(attribution.holder(forClientHost: "127.0.0.1", port: 51235) == .unknown)
        #expect(attribution.worker(forClientHost: "not-an-ip", port: 1) == nil)
    }

    @Test func readsAFixtureProcTree() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("warden-proc-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("net"), withIntermediateDirectories: true)
        try fm.createDirectory(at: root.appendingPathComponent("4250/fd"), withIntermediateDirectories: true)
        try tcpFixture.write(to: root.appendingPathComponent("net/tcp"), atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("4250/fd/7").path, withDestinationPath: "socket:[98765]")
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("4250/fd/1").path, withDestinationPath: "pipe:[98765]")
        let workers = [WorkerTree(name: "api:0", program: "api", pid: 4242, treePIDs: [4242, 4250])]
        let attribution = SocketAttribution(workers: workers, procRoot: root.path)
        #expect(attribution.worker(forClientHost: "127.0.0.1", port: 51234) == "api:0")
        #expect(attribution.worker(forClientHost: "127.0.0.1", port: 5432) == nil)
    }

    /// [listen on, connect to, the client address as the server reports it]
    @Test(arguments: [["127.0.0.1", "127.0.0.1", "127.0.0.1"], ["::1", "::1", "::1"], ["::", "127.0.0.1", "::ffff:127.0.0.1"]])
    func liveConnectionOfThisProcessIsFound(_ hosts: [String]) throws {
        let (listenHost, connectHost, reportedHost) = (hosts[0], hosts[1], hosts[2])
        let listener = try TestSockets.listen(host: listenHost)
        defer { close(listener.fd) }
        let client = try TestSockets.connect(host: connectHost, port: listener.port)
        defer { close(client) }
        let clientPort = TestSockets.localPort(client)
        let me = getpid()
        let workers = [WorkerTree(name: "tester:0", program: "tester", pid: me, treePIDs: [me])]

        let asWorker = SocketAttribution(workers: workers, procRoot: "/proc", recognizingCollector: false)
        #expect(asWorker.worker(forClientHost: reportedHost, port: clientPort) == "tester:0")
        #expect(asWorker.holderPIDs(forClientHost: reportedHost, port: clientPort) == [me])
        // The listener's port is a LISTEN row or the server end of the connection, never a client endpoint of ours.
        #expect(asWorker.worker(forClientHost: reportedHost, port: clientPort + 70000) == nil)

        // By default the calling process is the collector: its own connection is set apart.
        let asCollector = SocketAttribution(workers: workers)
        #expect(asCollector.holder(forClientHost: reportedHost, port: clientPort) == .collector)
        #expect(asCollector.worker(forClientHost: reportedHost, port: clientPort) == nil)
    }
}
