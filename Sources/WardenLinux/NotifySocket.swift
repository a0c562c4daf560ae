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
/// Datagrams are read on a private serial Dispatch queue (a read source on the non-blocking socket) and
/// handed over through an `AsyncStream`. Nothing is ever dropped: at most `inFlightLimit` datagrams wait
/// for the consumer; beyond that the read source is suspended until the consumer calls `consumed()`, so
/// the kernel's receive queue fills and blocks the senders (sd_notify's send blocks). A flooding worker is
/// slowed down to Warden's pace, and the other workers' messages wait their turn in the kernel's queue
/// instead of being evicted by the flood.
public final class NotifySocket: Sendable {
    /// The socket path (the value workers get as `NOTIFY_SOCKET`).
    public let path: String
    /// Datagrams as they arrive; finishes after `close()`. Call `consumed()` after handling each one.
    public let datagrams: AsyncStream<NotifyDatagram>
    /// Longest datagram accepted whole, bytes; longer ones arrive with `truncated` set.
    public static let receiveLimit = 4096
    /// Datagrams read from the kernel but not yet consumed, at most.
    public static let inFlightLimit = 256
    /// Device and inode of the socket file when bound (to tell whether the file was replaced).
    public let fileIdentity: (device: UInt64, inode: UInt64)?

    private struct Flow {
        var source: DispatchSourceRead?
        var inFlight = 0
        var suspended = false
    }
    private let flow: Mutex<Flow>

    /// Binds the socket at `path` (an existing socket file there is replaced) with mode 0600.
    /// - Throws: `SystemCallError` from socket/bind (ENAMETOOLONG when `path` exceeds 107 bytes).
    public init(path: String) throws {
        self.path = path
        unlink(path)
        let fd = cw_notify_socket_bind(path)
        guard fd >= 0 else { throw SystemCallError.last("bind notify socket \(path)") }
        chmod(path, 0o600)
        var info = stat()
        fileIdentity = stat(path, &info) == 0 ? (UInt64(info.st_dev), UInt64(info.st_ino)) : nil
        let (stream, continuation) = AsyncStream.makeStream(of: NotifyDatagram.self, bufferingPolicy: .unbounded)
        datagrams = stream
        let queue = DispatchQueue(label: "warden.notify-socket")
        let readSource = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        let flow = Mutex(Flow(source: readSource))
        self.flow = flow
        readSource.setEventHandler { [weak self] in self?.drain(fd: fd, into: continuation) }
        readSource.setCancelHandler {
            Glibc.close(fd)
            continuation.finish()
        }
        readSource.resume()
    }

    /// Whether the file at `path` is still the socket this object bound (not deleted or replaced).
    public var fileIsOurs: Bool {
        var info = stat()
        guard let fileIdentity, stat(path, &info) == 0 else { return false }
        return UInt64(info.st_dev) == fileIdentity.device && UInt64(info.st_ino) == fileIdentity.inode
    }

    /// The consumer finished one datagram; reading resumes once half of the in-flight window is free.
    public func consumed() {
        flow.withLock { flow in
            flow.inFlight -= 1
            if flow.suspended, flow.inFlight <= Self.inFlightLimit / 2, let source = flow.source {
                flow.suspended = false
                source.resume()
            }
        }
    }

    /// Stops receiving, closes the socket and removes its file (only if it is still ours). Idempotent.
    public func close() {
        let current = flow.withLock { flow -> DispatchSourceRead? in
            defer { flow.source = nil }
            if flow.suspended, let source = flow.source { flow.suspended = false; source.resume() }
            return flow.source
        }
        guard let current else { return }
        if fileIsOurs { unlink(path) }
        current.cancel()
    }

    deinit { close() }

    private func drain(fd: Int32, into continuation: AsyncStream<NotifyDatagram>.Continuation) {
        var buffer = [UInt8](repeating: 0, count: Self.receiveLimit)
        while true {
            let room = flow.withLock { flow -> Bool in
                guard flow.inFlight < Self.inFlightLimit, let source = flow.source else {
                    if !flow.suspended, let source = flow.source { flow.suspended = true; source.suspend() }
                    return false
                }
                _ = source
                return true
            }
            guard room else { return }
            var pid: Int32 = -1
            var uid: UInt32 = 0
            let length = buffer.withUnsafeMutableBytes {
                cw_notify_receive(fd, $0.baseAddress, UInt(Self.receiveLimit), &pid, &uid)
            }
            if length < 0 {
                if errno == EINTR { continue }
                return   // EAGAIN: drained (or an error that the next readiness event will show again)
            }
            let kept = min(Int(length), Self.receiveLimit)
            flow.withLock { $0.inFlight += 1 }
            continuation.yield(NotifyDatagram(
                pid: pid > 0 ? pid : nil, uid: pid > 0 ? uid : nil,
                bytes: Array(buffer[0..<kept]), truncated: Int(length) > Self.receiveLimit))
        }
    }
}
