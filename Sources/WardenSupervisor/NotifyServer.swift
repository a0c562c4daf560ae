import WardenAPI
import WardenConfig
import WardenLinux

/// The notify socket offered to workers as `NOTIFY_SOCKET` (`STATE_DIR/notify.sock`): binds it, rebinds it
/// when its file was removed or replaced, hands each datagram to a handler, and counts what it received.
/// Owned by the `Supervisor` actor.
final class NotifyServer {
    let path: String
    /// Datagrams accepted, malformed, from unknown senders (`/v1/health`).
    var counters = NotifyDatagramCounts()
    private var socket: NotifySocket?
    private var consumer: Task<Void, Never>?

    init(path: String) { self.path = path }

    /// Binds the socket and starts handing datagrams to `handler`, one at a time.
    /// - Throws: the bind error (programs with `ready = "notify"` then cannot start).
    func open(_ handler: @escaping @Sendable (NotifyDatagram) async -> Void) throws {
        let socket = try NotifySocket(path: path)
        self.socket = socket
        consumer = Task {
            for await datagram in socket.datagrams {
                await handler(datagram)
                socket.consumed()
            }
        }
    }

    /// Whether a bound socket is still the file at `path` (someone may have deleted or replaced it).
    var isBound: Bool { socket?.fileIsOurs == true }

    /// Binds a new socket in place of one whose file was removed or replaced. The new socket is bound
    /// before the old one is closed, so it cannot get the old descriptor number while the old read source
    /// is still being cancelled.
    func rebind(_ handler: @escaping @Sendable (NotifyDatagram) async -> Void) throws {
        let old = (socket, consumer)
        socket = nil
        defer {
            old.0?.close()
            old.1?.cancel()
        }
        try open(handler)
    }

    func close() {
        socket?.close()
        consumer?.cancel()
    }

    /// `NOTIFY_SOCKET` (and `WATCHDOG_USEC`) for a worker of `program`: only programs that use the
    /// protocol get them, as systemd sets it only for `Type=notify` services or with `NotifyAccess=`.
    /// `nil` when the program needs the socket and none is bound.
    func environment(for program: ProgramConfiguration) -> [String: String]? {
        guard program.ready == .notify || program.watchdog != nil else { return [:] }
        guard let socket else { return nil }
        var environment = ["NOTIFY_SOCKET": socket.path]
        if let period = program.watchdog {
            environment["WATCHDOG_USEC"] = "\(max(1, period.components.seconds * 1_000_000 + period.components.attoseconds / 1_000_000_000_000))"
        }
        return environment
    }
}
