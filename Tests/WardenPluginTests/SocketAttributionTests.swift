import Foundation
import Testing
import WardenPluginKit
import WardenPluginProtocol
import WardenTestSupport

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

/// Connects to the unix socket at argv[1], prints `ready`, holds the connection until stdin closes.
private let unixClientScript = """
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
print("ready", flush=True)
sys.stdin.read()
"""

/// Unix-socket attribution from the server's side: server inode → `unix_diag` peer → the holding tree.
@Suite struct UnixSocketAttributionTests {
    @Test func serverEndLeadsToTheClientProcessThroughUnixDiag() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wu-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let listener = try TestSockets.listenUnix(path: "\(directory)/s")
        defer { close(listener) }
        let client = try ChildProcess("/usr/bin/env", ["python3", "-c", unixClientScript, "\(directory)/s"], input: true)
        defer { client.kill() }
        #expect(await client.stdout.next() == "ready")
        let server = try TestSockets.accept(listener)
        defer { close(server) }
        let serverInode = try #require(ProcFD.socketInode(pid: getpid(), fd: server))

        let workers = [WorkerTree(name: "client:0", program: "client", pid: client.pid, treePIDs: [client.pid])]
        let attribution = SocketAttribution(workers: workers)
        #expect(attribution.unixPeersError == nil)
        #expect(attribution.holder(forServerSocketInodes: [serverInode]) == .worker("client:0"))
        // Not the collector's own connection: this process holds only the server end.
        #expect(!attribution.isCollectorsPeer(serverSocketInodes: [serverInode]))
        // An unsupervised client is unknown; so is an inode that is no unix socket.
        #expect(SocketAttribution(workers: []).holder(forServerSocketInodes: [serverInode]) == .unknown)
        #expect(attribution.holder(forServerSocketInodes: [1]) == .unknown)
        try client.closeInput()
        _ = await client.waitForExit()
    }

    @Test func connectionOfTheCollectorItselfIsItsOwnAndSocketpairsAreNoClients() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wu-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let listener = try TestSockets.listenUnix(path: "\(directory)/s")
        defer { close(listener) }
        var client = try TestSockets.connectUnix(path: "\(directory)/s")
        defer { if client >= 0 { close(client) } }
        let server = try TestSockets.accept(listener)
        defer { close(server) }
        let serverInode = try #require(ProcFD.socketInode(pid: getpid(), fd: server))
        let clientInode = try #require(ProcFD.socketInode(pid: getpid(), fd: client))
        let links = try UnixSocketPeers.read()
        #expect(links[serverInode] == UnixSocketPeers.Link(peer: clientInode, isBound: true), "accepted: the listener's path")
        #expect(links[clientInode] == UnixSocketPeers.Link(peer: serverInode, isBound: false))
        let attribution = SocketAttribution(workers: [])
        #expect(attribution.holder(forServerSocketInodes: [serverInode]) == .collector)
        #expect(attribution.isCollectorsPeer(serverSocketInodes: [serverInode]))

        // A socketpair is unnamed at both ends: never taken for a client connection.
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { close(pair[0]); close(pair[1]) }
        let pairInode = try #require(ProcFD.socketInode(pid: getpid(), fd: pair[0]))
        #expect(try UnixSocketPeers.read()[pairInode]?.isBound == false)
        #expect(SocketAttribution(workers: []).holder(forServerSocketInodes: [pairInode]) == .unknown)

        // Once the client end closes, no process holds the peer inode any more: nobody's connection.
        close(client); client = -1
        #expect(SocketAttribution(workers: []).holder(forServerSocketInodes: [serverInode]) == .unknown)
    }

    @Test func tcpConnectionOfTheCollectorIsRecognisedFromTheServerEnd() throws {
        let listener = try TestSockets.listen(host: "127.0.0.1")
        defer { close(listener.fd) }
        let client = try TestSockets.connect(host: "127.0.0.1", port: listener.port)
        defer { close(client) }
        let server = try TestSockets.accept(listener.fd)
        defer { close(server) }
        let serverInode = try #require(ProcFD.socketInode(pid: getpid(), fd: server))
        #expect(SocketAttribution(workers: []).isCollectorsPeer(serverSocketInodes: [serverInode]))
        let listenerInode = try #require(ProcFD.socketInode(pid: getpid(), fd: listener.fd))
        #expect(!SocketAttribution(workers: []).isCollectorsPeer(serverSocketInodes: [listenerInode]))
    }

    @Test func truncatedOrErrorDatagramsNeverOverread() {
        // nlmsghdr(len 40, SOCK_DIAG_BY_FAMILY) + unix_diag_msg(ino 77) + rtattr(len 8, UNIX_DIAG_PEER, 78)
        var message: [UInt8] = []
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value) { message += $0 } }
        put(UInt32(40)); put(UInt16(20)); put(UInt16(2)); put(UInt32(1)); put(UInt32(0))
        put(UInt8(1)); put(UInt8(1)); put(UInt8(1)); put(UInt8(0)); put(UInt32(77)); put(UInt32(0)); put(UInt32(0))
        put(UInt16(8)); put(UInt16(2)); put(UInt32(78))
        var peers: [UInt64: UnixSocketPeers.Link] = [:]
        #expect(message.withUnsafeBytes { UnixSocketPeers.parse($0, into: &peers) } == .more)
        #expect(peers == [77: UnixSocketPeers.Link(peer: 78, isBound: false)])
        for cut in [3, 16, 30, 39] {
            var partial: [UInt64: UnixSocketPeers.Link] = [:]
            #expect(message.prefix(cut).withUnsafeBytes { UnixSocketPeers.parse($0, into: &partial) } == .more)
            #expect(partial.isEmpty)
        }
        var error: [UInt8] = []
        for value in [UInt32(20), UInt32(2) /* type 2, flags 0 */, 1, 0] { withUnsafeBytes(of: value) { error += $0 } }
        withUnsafeBytes(of: Int32(-ENOENT)) { error += $0 }
        #expect(error.withUnsafeBytes { UnixSocketPeers.parse($0, into: &peers) } == .refused(ENOENT))
    }

    @Test func smapsRollupGivesResidentAndProportionalBytes() throws {
        let text = "55d0-7ffe ---p 00000000 00:00 0  [rollup]\nRss:                1688 kB\nPss:                 258 kB\nPss_Dirty:   112 kB\n"
        #expect(ProcessMemory.parse(text) == ProcessMemory(residentBytes: 1688 * 1024, proportionalBytes: 258 * 1024))
        #expect(ProcessMemory.parse("Rss: 1 kB\n") == nil)
        let mine = try #require(ProcessMemory.read(pid: getpid()))
        #expect(mine.residentBytes > 1_000_000 && mine.proportionalBytes > 0 && mine.proportionalBytes <= mine.residentBytes)
        #expect(ProcessMemory.read(pid: Int32.max) == nil)
    }
}
