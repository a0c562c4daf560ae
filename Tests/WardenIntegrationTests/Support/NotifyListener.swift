import Foundation
import Glibc
import WardenTestSupport

/// A test stand-in for systemd's side of the notify protocol: a bound AF_UNIX datagram socket that
/// records every message Warden sends to `NOTIFY_SOCKET`, with its arrival time.
final class NotifyListener: @unchecked Sendable {
    // Safety: `messages` is only touched under `lock`; the reader thread and the test share nothing else.
    let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var messages: [(at: Date, text: String)] = []
    private var running = true

    init(path: String) throws {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            _ = path.utf8CString.withUnsafeBytes { raw.copyMemory(from: $0) }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw HarnessError("bind \(path): errno \(errno)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        Thread.detachNewThread { [self] in self.readLoop() }
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 8192)
        while lock.withLock({ running }) {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { continue }
            let text = String(decoding: buffer[0..<n], as: UTF8.self)
            lock.withLock { messages.append((Date(), text)) }
        }
        close(fd)
    }

    /// Every message so far, in arrival order.
    var received: [(at: Date, text: String)] { lock.withLock { messages } }

    /// Messages that contain the line `assignment` (e.g. `READY=1`).
    func messages(with assignment: String) -> [(at: Date, text: String)] {
        received.filter { $0.text.split(separator: "\n").contains { $0 == assignment } }
    }

    func stop() {
        lock.withLock { running = false }
        unlink(path)
    }

    deinit { stop() }
}

/// Sends one datagram to the unix datagram socket at `path` from the test process; returns send's result.
@discardableResult
func sendDatagram(_ bytes: [UInt8], to path: String) -> Int {
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        _ = path.utf8CString.withUnsafeBytes { raw.copyMemory(from: $0) }
    }
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
            bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, bytes.count, 0, target, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
