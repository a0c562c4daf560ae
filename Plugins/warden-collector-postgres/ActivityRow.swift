/// One client backend as `pg_stat_activity` reports it, with ages already computed on the server.
///
/// Ages are seconds of the server's clock: `clock_timestamp() − column`, read in the same statement, so
/// the collector's own clock (and any skew to the database host) never enters them.
struct ActivityRow: Sendable, Equatable {
    /// Backend process id on the server (`pid`).
    var pid: Int32
    /// `state`: `active`, `idle`, `idle in transaction`, `idle in transaction (aborted)`,
    /// `fastpath function call`, `disabled`; `nil` when the collector's role may not see it.
    var state: String?
    /// Client IP as text (`host(client_addr)`), IPv4-mapped IPv6 reduced to IPv4; `nil` for a unix socket
    /// (or when hidden).
    var clientAddress: String?
    /// Client TCP port (`client_port`); −1 for a unix socket, `nil` when hidden.
    var clientPort: Int?
    /// `application_name` as the client set it (free text; not trusted for attribution).
    var applicationName: String?
    /// `wait_event_type`; `Lock` means blocked behind another session's lock.
    var waitEventType: String?
    /// Seconds since the connection was made (`backend_start`).
    var connectionAgeSeconds: Double?
    /// Seconds since the current transaction began (`xact_start`); `nil` outside a transaction.
    var transactionAgeSeconds: Double?
    /// Seconds since the current or last statement began (`query_start`); `nil` before the first one.
    var queryAgeSeconds: Double?
    /// Seconds since `state` last changed (`state_change`).
    var stateAgeSeconds: Double?

    /// True for a client connected through a unix-domain socket (`client_port = -1`).
    var isUnixSocket: Bool { clientPort == -1 }
}

/// The server's connection limit, from `pg_settings` (connections).
struct ServerLimits: Sendable, Equatable {
    /// `max_connections`.
    var maxConnections: Int
    /// `superuser_reserved_connections`.
    var superuserReserved: Int
    /// `reserved_connections` (PostgreSQL 16+; 0 before).
    var reserved: Int

    /// Connections an ordinary role can open: `max_connections − superuser_reserved_connections − reserved_connections`.
    var usable: Int { Swift.max(0, maxConnections - superuserReserved - reserved) }
}

/// What one round read from the server.
struct ActivitySnapshot: Sendable {
    var limits: ServerLimits
    /// Client backends other than the collector's own (`backend_type = 'client backend'`, `pid <> pg_backend_pid()`).
    var rows: [ActivityRow]
    /// The collector's own backend (`pg_backend_pid()`), 0 when unknown.
    var ownBackendPID: Int32 = 0
}
