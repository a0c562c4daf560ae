/// Attribution from the server's side of a connection, for clients a server cannot name by address:
/// unix-socket clients (Redis flag `U`, PostgreSQL `client_port = -1`).
///
/// The collector finds the server's socket inode of each connection in the server's `/proc/PID/fd`
/// (Redis: `CLIENT LIST`'s `fd`; PostgreSQL: the backend pid's sockets), and this snapshot follows it to
/// the peer socket (`UnixSocketPeers`) and to the tree holding that peer. Reading another user's
/// `/proc/PID/fd` (the server usually runs as its own user) needs CAP_SYS_PTRACE or the same uid; without
/// it the inodes are empty and the client stays unknown.
extension SocketAttribution {
    /// Who holds the other end of the unix-socket connection whose server end is one of `serverInodes`:
    /// a worker, the collector itself, or nobody known (not a unix socket, peer closed, unsupervised client).
    /// Only bound sockets count (`UnixSocketPeers.Link.isBound`, the server's end of an accepted
    /// connection): a PostgreSQL backend also holds inherited socketpairs, whose peers are no clients.
    public func holder(forServerSocketInodes serverInodes: some Sequence<UInt64>) -> Holder {
        for inode in serverInodes {
            guard let link = unixLinkByInode[inode], link.isBound else { continue }
            let peer = link.peer
            if collectorInodes.contains(peer) { return .collector }
            if let name = workerByInode[peer] { return .worker(name) }
        }
        return .unknown
    }

    /// Whether one of `serverInodes` is the server's end of one of the collector's own connections: its
    /// unix peer, or its TCP remote endpoint, is a socket of the collector process.
    ///
    /// This is how a collector learns that a server pid it was told (PostgreSQL `pg_backend_pid()`, Redis
    /// `process_id`) is a process on this host and in this pid namespace: a server on another host, or in a
    /// container with its own pid numbering, names a pid whose sockets (if any) lead elsewhere.
    public func isCollectorsPeer(serverSocketInodes serverInodes: some Sequence<UInt64>) -> Bool {
        for inode in serverInodes {
            if let link = unixLinkByInode[inode], link.isBound, collectorInodes.contains(link.peer) { return true }
            if let remote = remoteByTCPInode[inode],
               inodesByLocalEndpoint[remote]?.contains(where: collectorInodes.contains) == true { return true }
        }
        return false
    }
}
