import WardenPluginKit
import WardenPluginProtocol

/// What the collector read of the server's backend processes, when the server runs on its host.
///
/// The server counts as local when the collector's own backend (`pg_backend_pid()`) holds the server end
/// of the collector's connection (`SocketAttribution.isCollectorsPeer`): a pid from another host or pid
/// namespace fails that test, so its `/proc` entry is never trusted.
struct BackendProcesses: Sendable {
    /// Backend pid → worker holding the backend's unix-socket client (`client_port = -1` rows only).
    var unixClients: [Int32: String]
    /// Backend pid → its memory, for backends attributed to a worker (TCP or unix).
    var memory: [Int32: ProcessMemory]

    /// Reads `/proc` for the rows of `snapshot`; `nil` when the server is not local (or its processes cannot
    /// be read: another user's `/proc/PID/fd` needs CAP_SYS_PTRACE or the server's uid).
    /// Blocking /proc reads: call it off the cooperative pool.
    /// - Parameter attributedTCP: backend pids already attributed through their TCP client endpoint.
    static func read(
        snapshot: ActivitySnapshot, attribution: SocketAttribution, attributedTCP: Set<Int32>
    ) -> BackendProcesses? {
        let own = ProcFD.socketInodes(pid: String(snapshot.ownBackendPID), procRoot: "/proc")
        guard snapshot.ownBackendPID > 0, attribution.isCollectorsPeer(serverSocketInodes: own) else { return nil }
        var unixClients: [Int32: String] = [:]
        var memory: [Int32: ProcessMemory] = [:]
        for row in snapshot.rows {
            var attributed = attributedTCP.contains(row.pid)
            if row.isUnixSocket {
                let inodes = ProcFD.socketInodes(pid: String(row.pid), procRoot: "/proc")
                if case .worker(let name) = attribution.holder(forServerSocketInodes: inodes) {
                    unixClients[row.pid] = name
                    attributed = true
                }
            }
            if attributed, let reading = ProcessMemory.read(pid: row.pid) { memory[row.pid] = reading }
        }
        return BackendProcesses(unixClients: unixClients, memory: memory)
    }
}
