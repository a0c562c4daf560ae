#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension WardenClient {
    /// Whether something accepts connections on the control socket right now (a bare `connect(2)`, no
    /// HTTP exchanged).
    public func isReachable() -> Bool {
        UnixSocket.connectedSocket(path: socketPath).map { close($0); return true } ?? false
    }

    /// The pid of the process serving the control socket, from the kernel's peer credentials
    /// (`SO_PEERCRED`), so it cannot be spoofed by the server; `nil` when the socket does not answer or the
    /// platform has no peer credentials.
    public func serverProcessID() -> Int32? {
        #if os(Linux)
        guard let fd = UnixSocket.connectedSocket(path: socketPath) else { return nil }
        defer { close(fd) }
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0, credentials.pid > 0 else {
            return nil
        }
        return credentials.pid
        #else
        return nil
        #endif
    }

    /// Waits until the control socket stops answering and, when `processID` is given, that process has
    /// exited (a zombie counts as exited).
    ///
    /// Pass the pid from `serverProcessID()` taken *before* `shutdown()`: a `ServiceGroup` may close the
    /// socket before it has stopped every worker, and the pid is what says Warden is really gone.
    /// - Returns: `true` when Warden is gone, `false` when `timeout` passed first.
    public func waitUntilGone(processID: Int32?, timeout: Duration = .seconds(120)) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let processGone = processID.map(Self.hasExited) ?? true
            if processGone && !isReachable() { return true }
            if clock.now >= deadline { return false }
            do { try await Task.sleep(for: .milliseconds(100)) } catch { return false }
        }
    }

    /// Whether `pid` no longer names a live process (no such process, or a zombie awaiting its parent).
    static func hasExited(_ pid: Int32) -> Bool {
        if kill(pid, 0) != 0 { return errno == ESRCH }
        #if os(Linux)
        // "PID (comm) S ...": the state letter follows the last ')'.
        guard let stat = readSmallFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")),
            stat.index(close, offsetBy: 2) < stat.endIndex
        else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state == UInt8(ascii: "Z") || state == UInt8(ascii: "X")
        #else
        return false
        #endif
    }

    private static func readSmallFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return count > 0 ? Array(buffer[..<count]) : nil
    }
}

/// Plain POSIX unix-socket helpers (no event loop needed for a probe).
enum UnixSocket {
    /// A connected stream socket to `path`, or `nil` when `connect(2)` fails.
    static func connectedSocket(path: String) -> Int32? {
        #if os(Linux)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            return nil
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            return nil
        }
        return fd
    }
}
