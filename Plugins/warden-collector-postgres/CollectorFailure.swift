import PostgresNIO

/// Why a round failed, as text Warden can log: no URL, no password, no query text.
///
/// Built from driver errors by `CollectorFailure(describing:target:)`; every message is passed through
/// `Redaction` once more before it leaves the plugin.
enum CollectorFailure: Error, CustomStringConvertible {
    /// TCP connect or socket failure (refused, unreachable, timed out, closed).
    case unreachable(pool: String, reason: String)
    /// The server refused the login or a statement: its SQLSTATE and primary message.
    case server(pool: String, sqlState: String, message: String)
    /// The role cannot see other roles' sessions, so state and client address would be hidden.
    case permission(role: String)
    /// The server answered something the collector cannot use.
    case protocolViolation(String)

    var description: String {
        switch self {
        case .unreachable(let pool, let reason):
            "cannot reach \(pool): \(reason)"
        case .server(let pool, let sqlState, let message):
            "\(pool): \(message) (SQLSTATE \(sqlState))"
        case .permission(let role):
            "role \(role) cannot see other sessions in pg_stat_activity (state and client address are hidden): GRANT pg_monitor TO \(role)"
        case .protocolViolation(let what):
            "unexpected answer from the server: \(what)"
        }
    }

    /// Maps any error of a round to a failure whose text carries no credentials.
    init(describing error: any Error, target: PostgresTarget) {
        if let failure = error as? CollectorFailure { self = failure; return }
        let pool = target.poolID
        guard let error = error as? PSQLError else {
            self = .unreachable(pool: pool, reason: Self.reason(for: error)); return
        }
        if let info = error.serverInfo, let sqlState = info[.sqlState] {
            self = .server(pool: pool, sqlState: sqlState, message: info[.message] ?? "error"); return
        }
        switch error.code {
        case .connectionError:
            self = .unreachable(pool: pool, reason: error.underlying.map(Self.reason(for:)) ?? "connection failed")
        case .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            self = .unreachable(pool: pool, reason: "the connection was closed")
        case .sslUnsupported:
            self = .unreachable(pool: pool, reason: "the server does not accept TLS (sslmode=\(target.sslMode.rawValue))")
        case .failedToAddSSLHandler:
            self = .unreachable(pool: pool, reason: "TLS could not be set up")
        case .authMechanismRequiresPassword:
            self = .server(pool: pool, sqlState: "28000", message: "the server asks for a password and the URL has none")
        case .unsupportedAuthMechanism:
            self = .server(pool: pool, sqlState: "28000", message: "the server asks for an authentication method the collector does not support")
        case .saslError:
            self = .server(pool: pool, sqlState: "28000", message: "SCRAM authentication failed")
        default:
            self = .protocolViolation("driver error \(error.code)")
        }
    }

    /// Short text for a socket-level error: the OS reason (`Connection refused`) where there is one.
    private static func reason(for error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
        if let connect = error as? NIOConnectionError {
            if let first = connect.connectionErrors.first { return reason(for: first.error) }
            if let dns = connect.dnsAAAAError ?? connect.dnsAError { return "cannot resolve the host (\(type(of: dns)))" }
            return "connection failed"
        }
        if let channel = error as? ChannelError {
            switch channel {
            case .connectTimeout(let amount): return "connect timed out after \(Double(amount.nanoseconds) / 1e9) s"
            case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed, .inputClosed: return "the connection was closed"
            default: return "channel error \(channel)"
            }
        }
        if error is CancellationError { return "cancelled" }
        return "\(type(of: error))"
    }
}
