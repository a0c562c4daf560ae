@preconcurrency import Dispatch  // DispatchSourceRead is not Sendable
import CWarden
import Glibc
import Synchronization

/// One datagram received on the notify socket, with the sender's credentials (SCM_CREDENTIALS).
public struct NotifyDatagram: Sendable {
    /// Sender pid as the kernel reported it, `nil` when no credentials were attached (then the datagram
    /// cannot be attributed and must be dropped).
    public var pid: Int32?
    /// Sender uid, `nil` without credentials.
    public var uid: UInt32?
    /// The payload; at most `NotifySocket.receiveLimit` bytes (see `truncated`).
    public var bytes: [UInt8]
    /// Whether the datagram was longer than `receiveLimit` (it is then rejected whole).
    public var truncated: Bool
}

/// The `NOTIFY_SOCKET` Warden offers its workers: an `AF_UNIX`/`SOCK_DGRAM` socket bound to a path, with
/// `SO_PASSCRED` so that every datagram carries the sender's pid (sd_notify(3), systemd.service(5)).
///
/// Datagrams are read on a private serial Dispatch queue (a read source on the non-blocking socket, drained
/// until EAGAIN) and handed over through an `AsyncStream` that keeps only the newest `bufferLimit` datagrams
/// when the consumer lags, so a flood costs bounded memory and can delay no one but the flooder.
public final class NotifySocket: Sendable {
    /// The socket path (the value workers get as `NOTIFY_SOCKET`).
    public let path: String
    /// Datagrams as they arrive; finishes after `close()`.
    public let datagrams: AsyncStream<NotifyDatagram>
    /// Longest datagram accepted whole, bytes; longer ones arrive with `truncated` set.
    public static let receiveLimit = 4096
    /// Datagrams kept while the consumer is busy; older ones are dropped.
    public static let bufferLimit = 1024

    private let source: Mutex<DispatchSourceRead?>
    private let overflow = Counter()

    /// Datagrams dropped because `bufferLimit` newer ones were waiting (a flood), since `init`.
    public var overflowed: Int { overflow.value.load(ordering: .relaxed) }

    /// A shareable atomic count (an `Atomic` itself cannot be captured by the read handler).
    private final class Counter: Sendable { let value = Atomic<Int>(0) }

    /// Binds the socket at `path` (an existing socket file there is replaced) with mode 0600.
    /// - Throws: `SystemCallError` from socket/bind (ENAMETOOLONG when `path` exceeds 107 bytes).
    public init(path: String) throws {
        self.path = path
        unlink(path)
        let fd = cw_notify_socket_bind(path)
        guard fd >= 0 else { throw SystemCallError.last("bind notify socket \(path)") }
        chmod(path, 0o600)
        let (stream, continuation) = AsyncStream.makeStream(
            of: NotifyDatagram.self, bufferingPolicy: .bufferingNewest(Self.bufferLimit))
        datagrams = stream
        let queue = DispatchQueue(label: "warden.notify-socket")
        let readSource = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        let counter = overflow
        readSource.setEventHandler { Self.drain(fd: fd, into: continuation, overflow: counter) }
        readSource.setCancelHandler {
            Glibc.close(fd)
            continuation.finish()
        }
        source = Mutex(readSource)
        readSource.resume()
    }

    /// Stops receiving, closes the socket and removes its file. Idempotent.
    public func close() {
        let current = source.withLock { value -> DispatchSourceRead? in
            defer { value = nil }
            return value
        }
        guard let current else { return }
        current.cancel()
        unlink(path)
    }

    deinit { close() }

    private static func drain(fd: Int32, into continuation: AsyncStream<NotifyDatagram>.Continuation,
                              overflow: Counter) {
        var buffer = [UInt8](repeating: 0, count: receiveLimit)
        while true {
            var pid: Int32 = -1
            var uid: UInt32 = 0
            let length = buffer.withUnsafeMutableBytes {
                cw_notify_receive(fd, $0.baseAddress, UInt(receiveLimit), &pid, &uid)
            }
            if length < 0 {
                if errno == EINTR { continue }
                return   // EAGAIN: drained (or an error that the next readiness event will show again)
            }
            let kept = min(Int(length), receiveLimit)
            let result = continuation.yield(NotifyDatagram(
                pid: pid > 0 ? pid : nil, uid: pid > 0 ? uid : nil,
                bytes: Array(buffer[0..<kept]), truncated: Int(length) > receiveLimit))
            if case .dropped = result { overflow.value.add(1, ordering: .relaxed) }
        }
    }
}
