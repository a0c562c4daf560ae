public import WardenPluginProtocol

/// Maps a client connection seen by a server to the supervised worker whose process holds its socket.
///
/// A snapshot taken at `init`: socket inodes of every fd of every tree pid (`/proc/PID/fd/N` links
/// `socket:[INODE]`), and local TCP endpoints (`/proc/net/tcp`, `/proc/net/tcp6`: local address:port → inode).
/// A server reports a client as `client_addr:client_port`; on this host that is the client's local endpoint.
public struct SocketAttribution: Sendable {
    private let workers: [WorkerTree]

    /// Reads /proc under `procRoot` once. Unreadable entries (processes that just exited) are skipped.
    public init(workers: [WorkerTree], procRoot: String = "/proc") {
        self.workers = workers
    }

    /// The worker instance holding the TCP connection whose local endpoint on this host is `host:port`,
    /// `nil` when no supervised process holds it (another host, an unsupervised client, the collector).
    public func worker(forClientHost host: String, port: Int) -> String? {
        nil
    }
}
