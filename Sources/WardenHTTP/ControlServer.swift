public import Logging
public import ServiceLifecycle
public import WardenAPI
import Hummingbird
import HummingbirdCore
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The control API server: HTTP/1.1 + JSON on a unix socket, driving a `SupervisorControl`.
///
/// A `Service`: run it in the same `ServiceGroup` as the supervisor. On graceful shutdown it stops
/// accepting connections, lets the requests in flight finish, and removes the socket file.
///
/// Put the server *before* the supervisor in the group's service list: a `ServiceGroup` stops services in
/// reverse order, so the API then keeps answering (with 503 for new actions) until every worker is gone,
/// which is what `warden shutdown` waits for.
///
/// Security: only the owner of the Warden process may drive it. The socket is made mode 0600 as soon as
/// it is bound (in `onServerRunning`, before the first connection is accepted). `bind(2)` itself creates
/// the file with the process umask, so the socket must live in a directory only the owner can enter —
/// the supervisor creates `STATE_DIR` with mode 0700 — which closes the window between `bind` and
/// `chmod` without touching the process-wide umask. The server logs a warning when the directory is
/// accessible to others.
public struct ControlServer: Service, CustomStringConvertible {
    /// The socket path the server binds.
    public let socketPath: String
    private let application: any Service

    init(socketPath: String, application: any Service) {
        self.socketPath = socketPath
        self.application = application
    }

    /// Binds the socket and serves requests until graceful shutdown or cancellation.
    /// - Throws: `ControlServerError` when the socket cannot be used; NIO errors from `bind`.
    public func run() async throws {
        try await application.run()
    }

    /// `ControlServer(PATH)`, for ServiceGroup logs.
    public var description: String { "ControlServer(\(socketPath))" }
}

/// Why the control server refused to start.
public enum ControlServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The socket path does not fit in `sockaddr_un.sun_path` (107 bytes and a NUL).
    case socketPathTooLong(path: String, bytes: Int)
    /// Another process already answers on the socket path (another Warden with the same state directory).
    case alreadyRunning(path: String)
    /// The socket could not be restricted to its owner (`chmod 0600` failed); the server closed it.
    case cannotRestrictSocket(path: String, errno: Int32)

    /// A one-line explanation for logs and the terminal.
    public var description: String {
        switch self {
        case .socketPathTooLong(let path, let bytes):
            return "control socket path \(path) is \(bytes) bytes; unix socket paths are limited to \(maxSocketPathBytes) bytes (use a shorter state_dir)"
        case .alreadyRunning(let path):
            return "another Warden already answers on \(path); stop it first or use another state_dir"
        case .cannotRestrictSocket(let path, let code):
            return "cannot chmod 0600 control socket \(path): \(String(cString: strerror(code)))"
        }
    }
}

/// Longest unix socket path `bind(2)` accepts on Linux (sun_path is 108 bytes including the NUL).
let maxSocketPathBytes = 107

/// Creates the control API server for `control`, to listen on the unix socket `socketPath`.
///
/// Routes (`WardenAPI.APIRoute`): `GET /v1/processes?name=…` → `ProcessList`;
/// `POST /v1/processes/{start,stop,restart}` with `ProcessActionRequest` → `ProcessActionResult`;
/// `POST /v1/reload` → `ReloadResult`; `POST /v1/shutdown` → 202 `{}`; `GET /v1/health` →
/// `HealthStatus`; `GET /metrics` → Prometheus text exposition (with `metrics`). Errors answer `APIErrorBody`: 400 bad request body or names, 404 unknown name or
/// route, 405 a route asked with the wrong method (with `Allow`), 409 failed action, 413 body over 1 MiB, 422 invalid config on reload (the message holds the
/// diagnostics, one per line), 503 shutting down. JSON is written with sorted keys.
///
/// Before binding, the server refuses to start when another process already answers on `socketPath`
/// (a stale socket file is replaced).
///
/// - Parameters:
///   - control: The supervisor seam the routes drive.
///   - metrics: What `GET /metrics` renders; without it the route answers 404.
///   - history: What the history routes (`HistoryRoutes`) ask; without it they answer 404.
///   - notifications: The notification sinks' counters, for `/v1/health`.
///   - socketPath: Where to bind, normally `STATE_DIR/warden.sock`; its directory must exist and should
///     be mode 0700 (see `ControlServer`).
///   - logger: Logger for the server and its requests.
///   - onRunning: Called once the socket is bound and restricted to mode 0600, before the first request is
///     accepted (e.g. to send `READY=1`, or for tests to start talking).
/// - Returns: A `Service` to run in a `ServiceGroup`.
public func makeControlServer(
    control: any SupervisorControl,
    metrics: (any MetricsSource)? = nil,
    history: (any HistoryQuerying)? = nil,
    notifications: (any NotificationsReporting)? = nil,
    socketPath: String,
    limits: APILimits = APILimits(),
    logger: Logger,
    onRunning: (@Sendable () async -> Void)? = nil
) -> ControlServer {
    let router = Router(context: WardenRequestContext.self)
    router.add(middleware: APIErrorMiddleware(logger: logger))
    ControlRoutes(control: control, metrics: metrics, history: history, notifications: notifications, logger: logger).register(on: router)

    var application = Application(
        router: router,
        server: .limited(limits),
        configuration: ApplicationConfiguration(address: .unixDomainSocket(path: socketPath), serverName: nil),
        onServerRunning: { channel in
            if chmod(socketPath, 0o600) != 0 {
                let code = errno
                logger.critical(
                    "closing the control API: \(ControlServerError.cannotRestrictSocket(path: socketPath, errno: code))")
                try? await channel.close()
                return
            }
            logger.info("control API listening", metadata: ["socket": "\(socketPath)"])
            await onRunning?()
        },
        logger: logger
    )
    application.beforeServerStarts {
        try checkSocketPath(socketPath, logger: logger)
    }
    return ControlServer(socketPath: socketPath, application: application)
}

/// The control API and `/metrics` on TCP (`[http] listen`), every request authenticated by a bearer token
/// (`BearerTokenMiddleware`). A `Service` like `ControlServer`; plain HTTP — put a TLS-terminating reverse
/// proxy in front when it leaves the host.
public struct TCPServer: Service, CustomStringConvertible {
    /// `HOST:PORT` as configured.
    public let address: String
    private let application: any Service

    init(address: String, application: any Service) {
        self.address = address
        self.application = application
    }

    /// Binds and serves until graceful shutdown or cancellation.
    /// - Throws: NIO errors from `bind` (address in use, not local).
    public func run() async throws { try await application.run() }

    /// `TCPServer(HOST:PORT)`, for ServiceGroup logs.
    public var description: String { "TCPServer(\(address))" }
}

/// Creates the TCP listener: the same routes as `makeControlServer` behind a bearer token.
/// - Parameters:
///   - host: IP address to bind; `port`: TCP port.
///   - token: The bearer token every request must present (compared in constant time).
///   - browser: A browser frontend (the dashboard) whose pages and sessions sit beside the bearer token.
///   - onRunning: Called once the socket is bound, with the port (useful when `port` is 0).
public func makeTCPServer(
    control: any SupervisorControl,
    metrics: (any MetricsSource)? = nil,
    history: (any HistoryQuerying)? = nil,
    notifications: (any NotificationsReporting)? = nil,
    host: String, port: Int, token: [UInt8],
    browser: (any BrowserFrontend)? = nil,
    limits: APILimits = APILimits(),
    logger: Logger,
    onRunning: (@Sendable (Int) async -> Void)? = nil
) -> TCPServer {
    let router = Router(context: WardenRequestContext.self)
    router.add(middleware: APIErrorMiddleware(logger: logger))
    router.add(middleware: BearerTokenMiddleware(token: token, browser: browser))
    ControlRoutes(control: control, metrics: metrics, history: history, notifications: notifications, logger: logger).register(on: router)
    browser?.register(on: router)
    let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    let application = Application(
        router: router,
        server: .limited(limits),
        configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
        onServerRunning: { channel in
            let bound = channel.localAddress?.port ?? port
            logger.info("HTTP API listening", metadata: ["address": "\(host):\(bound)"])
            await onRunning?(bound)
        },
        logger: logger
    )
    return TCPServer(address: address, application: application)
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with `ConnectionGuard` on every connection (its own count per listener) and Hummingbird's
    /// idle timeout between requests.
    static func limited(_ limits: APILimits) -> HTTPServerBuilder {
        let counter = ConnectionCounter()
        let (seconds, attoseconds) = limits.idleTimeout.components
        return .http1(configuration: .init(
            additionalChannelHandlers: [ConnectionGuard(counter: counter, limits: limits)],
            idleTimeout: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)))
    }
}

/// Pre-bind checks: path length, no live server on the path, and a private directory (warning only).
private func checkSocketPath(_ path: String, logger: Logger) throws(ControlServerError) {
    let bytes = path.utf8.count
    guard bytes <= maxSocketPathBytes else { throw .socketPathTooLong(path: path, bytes: bytes) }
    if UnixSocketProbe.answers(path: path) { throw .alreadyRunning(path: path) }

    let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
    var info = stat()
    if stat(directory.isEmpty ? "/" : directory, &info) == 0, info.st_mode & 0o077 != 0 {
        logger.warning(
            "control socket directory is accessible to other users; between bind and chmod the socket is reachable with the umask's mode",
            metadata: ["directory": "\(directory)", "mode": "\(String(info.st_mode & 0o7777, radix: 8))"])
    }
}

/// Connects to a unix socket with plain POSIX calls to learn whether something listens there.
enum UnixSocketProbe {
    /// Whether a `connect(2)` to `path` succeeds.
    static func answers(path: String) -> Bool {
        #if os(Linux)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}
