import Foundation
import Glibc

/// A throwaway `redis-server` on a free loopback port, for tests.
///
/// Started as `redis-server --port P --bind 127.0.0.1 --save '' --appendonly no [--requirepass PASS]
/// [--maxclients N] [--unixsocket PATH --unixsocketperm 700]`
/// (no system service involved, nothing written to disk, output discarded); `start` returns once the server
/// answers `PING` (`+PONG`, or `-NOAUTH` when a password is set). `stop()` sends SIGTERM and waits for the
/// exit (SIGKILL after 5 s). Always call `stop()`, also when a test fails.
public final class RedisServer: Sendable {
    /// The loopback port it listens on.
    public let port: Int
    /// The server process id.
    public let pid: pid_t
    /// Path of the unix socket it also listens on, when started with `unixSocket`.
    public let unixSocketPath: String?

    /// Errors of the fixture.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private init(port: Int, pid: pid_t, unixSocketPath: String?) {
        self.port = port
        self.pid = pid
        self.unixSocketPath = unixSocketPath
    }

    /// The `redis-server` executable on PATH (Debian: /usr/bin/redis-server), `nil` when not installed.
    public static var executable: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/bin", "/usr/sbin"] {
            let candidate = "\(directory)/redis-server"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Starts a server and waits (up to 10 s) until it accepts connections.
    /// - Parameters:
    ///   - password: sets `requirepass` when given.
    ///   - maxClients: sets `maxclients` when given (Redis's default is 10 000).
    ///   - unixSocket: also listen on a unix socket at this path (`--unixsocket`, mode 0700); at most 107 bytes.
    public static func start(password: String? = nil, maxClients: Int? = nil, unixSocket: String? = nil) async throws -> RedisServer {
        guard let executable else {
            throw Failure(description: "redis-server is not installed (apt-get install -y redis-server)")
        }
        let port = FreePort.loopback()
        var arguments = [executable, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                         "--daemonize", "no", "--loglevel", "warning"]
        if let password { arguments += ["--requirepass", password] }
        if let maxClients { arguments += ["--maxclients", String(maxClients)] }
        if let unixSocket { arguments += ["--unixsocket", unixSocket, "--unixsocketperm", "700"] }
        let pid = try spawn(arguments)
        let server = RedisServer(port: port, pid: pid, unixSocketPath: unixSocket)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if await server.answersPing() { return server }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw Failure(description: "redis-server exited during startup (status \(status))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        await server.stop()
        throw Failure(description: "redis-server did not accept connections on port \(port) within 10 s")
    }

    /// SIGTERM, then waits for the exit; SIGKILL if it is still running after 5 s.
    public func stop() async {
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Connects and sends `PING` on a dedicated thread (blocking socket calls stay off the cooperative pool).
    private func answersPing() async -> Bool {
        let port = self.port
        return await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: Self.ping(port: port)) }.start()
        }
    }

    private static func ping(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { return false }
        let request = Array("PING\r\n".utf8)
        guard send(fd, request, request.count, 0) == request.count else { return false }
        var reply = [UInt8](repeating: 0, count: 64)
        let count = recv(fd, &reply, reply.count, 0)
        guard count > 0 else { return false }
        let text = String(decoding: reply[0..<count], as: UTF8.self)
        return text.hasPrefix("+PONG") || text.hasPrefix("-NOAUTH")
    }

    private static func spawn(_ arguments: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Threads of Swift's pool block most signals and a spawned child inherits the caller's mask: reset it
        // (and the dispositions) so SIGTERM reaches the server.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaultSignals, signal) }
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard result == 0 else { throw Failure(description: "posix_spawn redis-server failed: \(String(cString: strerror(result)))") }
        return pid
    }
}
