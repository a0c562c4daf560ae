public import WardenPluginProtocol
import Foundation

/// Maps a client connection seen by a server to the supervised worker whose process holds its socket.
///
/// A snapshot taken at `init`: socket inodes of every fd of every tree pid (`/proc/PID/fd/N` links
/// `socket:[INODE]`), and local TCP endpoints (`/proc/net/tcp`, `/proc/net/tcp6`: local address:port → inode).
/// A server reports a client as `client_addr:client_port`; on this host that is the client's local endpoint.
/// The collector's own sockets (`/proc/self/fd`) are recorded too, so a collector can recognise its own
/// connection (`isCollectorConnection`).
///
/// Unix-socket clients are attributed from the server's side (`SocketAttribution+Unix.swift`): the
/// server's socket inode → its peer (`UnixSocketPeers`, netlink `unix_diag`) → the tree pid holding it.
///
/// Limits: only the network namespace of the reading process is seen (`/proc/net/tcp*`, `unix_diag`); a
/// worker in another namespace, behind NAT or a proxy, or on another host is unattributed. Sockets in
/// LISTEN and TIME_WAIT (inode 0) are ignored.
///
/// The snapshot is a handful of non-waiting /proc reads (a few per tree pid plus the two tcp tables) and one
/// netlink dump of the unix sockets; take a
/// new one per round, right after querying the server, so ephemeral ports are not stale.
public struct SocketAttribution: Sendable {
    /// Whom a client endpoint belongs to.
    public enum Holder: Sendable, Equatable {
        /// A supervised worker instance (by name).
        case worker(String)
        /// The collector process itself (its own server connection).
        case collector
        /// Nobody we know: another host, an unsupervised process, or a closed connection.
        case unknown
    }

    let workerByInode: [UInt64: String]
    private let pidsByInode: [UInt64: [Int32]]
    let collectorInodes: Set<UInt64>
    let inodesByLocalEndpoint: [SocketEndpoint: [UInt64]]
    /// TCP socket inode → its remote endpoint (non-LISTEN rows).
    let remoteByTCPInode: [UInt64: SocketEndpoint]
    /// Unix socket inode → its peer's inode and whether it is bound (`UnixSocketPeers`).
    let unixLinkByInode: [UInt64: UnixSocketPeers.Link]
    /// Why the unix-socket peers could not be read (then every unix-socket client is unknown), `nil` when read.
    public let unixPeersError: String?

    /// Reads /proc under `procRoot` once. Unreadable entries (processes that just exited) are skipped.
    /// The calling process's sockets (`procRoot/self/fd`) are recorded as the collector's.
    public init(workers: [WorkerTree], procRoot: String = "/proc") {
        self.init(workers: workers, procRoot: procRoot, recognizingCollector: true)
    }

    /// Like `init(workers:procRoot:)`; with `recognizingCollector: false` the calling process's own sockets
    /// are not set apart (for a caller that is itself one of `workers`, such as a test).
    public init(workers: [WorkerTree], procRoot: String, recognizingCollector: Bool) {
        var socketsByPID: [Int32: Set<UInt64>] = [:]
        for worker in workers {
            for pid in Set(worker.treePIDs + [worker.pid]) where socketsByPID[pid] == nil {
                socketsByPID[pid] = ProcFD.socketInodes(pid: String(pid), procRoot: procRoot)
            }
        }
        var rows: [TCPSocketRow] = []
        for file in ["tcp", "tcp6"] {
            if let text = ProcFD.readText(path: "\(procRoot)/net/\(file)") {
                rows += ProcNetTCP.parse(text)
            }
        }
        var peers: [UInt64: UnixSocketPeers.Link] = [:]
        var peersError: String?
        do { peers = try UnixSocketPeers.read() } catch { peersError = error.description }
        self.init(
            workers: workers, socketInodesByPID: socketsByPID, tcpRows: rows,
            collectorInodes: recognizingCollector ? ProcFD.socketInodes(pid: "self", procRoot: procRoot) : [],
            unixPeers: peers, unixPeersError: peersError)
    }

    /// Builds the maps from already-read data (pure; used by `init(workers:procRoot:)` and by tests).
    /// - Parameters:
    ///   - socketInodesByPID: pid → inodes of its `socket:[N]` fds.
    ///   - tcpRows: parsed `/proc/net/tcp` + `tcp6` rows.
    ///   - collectorInodes: the collector process's own socket inodes.
    ///   - unixPeers: unix socket inode → its link (`UnixSocketPeers.read()`).
    ///   - unixPeersError: why `unixPeers` could not be read, if so.
    public init(
        workers: [WorkerTree], socketInodesByPID: [Int32: Set<UInt64>], tcpRows: [TCPSocketRow],
        collectorInodes: Set<UInt64>, unixPeers: [UInt64: UnixSocketPeers.Link] = [:], unixPeersError: String? = nil
    ) {
        var workerByInode: [UInt64: String] = [:]
        var pidsByInode: [UInt64: [Int32]] = [:]
        for worker in workers {
            for pid in Set(worker.treePIDs + [worker.pid]).sorted() {
                for inode in socketInodesByPID[pid] ?? [] {
                    // Trees are disjoint; if a socket were shared across workers the first (by order) wins.
                    if workerByInode[inode] == nil { workerByInode[inode] = worker.name }
                    pidsByInode[inode, default: []].append(pid)
                }
            }
        }
        var byEndpoint: [SocketEndpoint: [UInt64]] = [:]
        var remoteByInode: [UInt64: SocketEndpoint] = [:]
        for row in tcpRows where row.inode != 0 && row.state != TCPSocketRow.State.listen {
            byEndpoint[row.local, default: []].append(row.inode)
            remoteByInode[row.inode] = row.remote
        }
        self.workerByInode = workerByInode
        self.pidsByInode = pidsByInode
        self.collectorInodes = collectorInodes
        self.inodesByLocalEndpoint = byEndpoint
        self.remoteByTCPInode = remoteByInode
        self.unixLinkByInode = unixPeers
        self.unixPeersError = unixPeersError
    }

    /// The worker instance holding the TCP connection whose local endpoint on this host is `host:port`,
    /// `nil` when no supervised process holds it (another host, an unsupervised client, the collector).
    /// `host` is an IP address as servers print it (`127.0.0.1`, `::1`, `[::1]`, `::ffff:127.0.0.1`).
    public func worker(forClientHost host: String, port: Int) -> String? {
        if case .worker(let name) = holder(forClientHost: host, port: port) { return name }
        return nil
    }

    /// Who holds the client endpoint `host:port`: a worker, the collector itself, or nobody known.
    public func holder(forClientHost host: String, port: Int) -> Holder {
        let inodes = self.inodes(forClientHost: host, port: port)
        if inodes.contains(where: collectorInodes.contains) { return .collector }
        for inode in inodes {
            if let name = workerByInode[inode] { return .worker(name) }
        }
        return .unknown
    }

    /// Whether `host:port` is a socket of the collector process itself (its own server connection).
    public func isCollectorConnection(clientHost host: String, port: Int) -> Bool {
        holder(forClientHost: host, port: port) == .collector
    }

    /// Pids (of the given trees) holding the socket of `host:port`; several when a socket is shared after
    /// `fork()`. Empty when no tree pid holds it.
    public func holderPIDs(forClientHost host: String, port: Int) -> [Int32] {
        inodes(forClientHost: host, port: port).flatMap { pidsByInode[$0] ?? [] }
    }

    /// Socket inodes whose local endpoint is `host:port` (LISTEN and TIME_WAIT rows excluded).
    public func inodes(forClientHost host: String, port: Int) -> [UInt64] {
        guard let address = IPAddress(host), let port = UInt16(exactly: port) else { return [] }
        return inodesByLocalEndpoint[SocketEndpoint(address: address, port: port)] ?? []
    }
}
