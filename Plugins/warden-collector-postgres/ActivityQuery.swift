import PostgresNIO

/// The two statements a round runs on the collector's connection, and their decoding.
enum ActivityQuery {
    /// Limits and whether the role sees other roles' sessions (member of `pg_read_all_stats`, which
    /// `pg_monitor` includes; superusers are members of everything). `current_setting(…, true)` is NULL
    /// for a setting this server version lacks (`reserved_connections` before 16).
    static let limitsSQL: PostgresQuery = """
        SELECT current_setting('max_connections')::int4,
               current_setting('superuser_reserved_connections')::int4,
               coalesce(current_setting('reserved_connections', true)::int4, 0),
               pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'),
               current_user::text,
               pg_backend_pid()
        """

    /// Every client backend except the collector's own, ages measured against one `clock_timestamp()`.
    static let activitySQL: PostgresQuery = """
        WITH t AS (SELECT clock_timestamp() AS now)
        SELECT a.pid, a.state, host(a.client_addr), a.client_port, a.application_name, a.wait_event_type,
               extract(epoch FROM t.now - a.backend_start)::float8,
               extract(epoch FROM t.now - a.xact_start)::float8,
               extract(epoch FROM t.now - a.query_start)::float8,
               extract(epoch FROM t.now - a.state_change)::float8
        FROM pg_stat_activity a, t
        WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()
        """

    /// Reads the limits and the activity rows.
    /// - Throws: `CollectorFailure.permission` when the role cannot see other sessions; driver errors as is.
    static func read(on connection: PostgresConnection, logger: Logger) async throws -> ActivitySnapshot {
        var limits: ServerLimits?
        var canSeeAll = false
        var role = ""
        var ownPID: Int32 = 0
        for try await row in try await connection.query(limitsSQL, logger: logger) {
            let (max, superuserReserved, reserved, seesAll, user, backend) =
                try row.decode((Int32, Int32, Int32, Bool, String, Int32).self)
            limits = ServerLimits(maxConnections: Int(max), superuserReserved: Int(superuserReserved), reserved: Int(reserved))
            canSeeAll = seesAll; role = user; ownPID = backend
        }
        guard let limits else { throw CollectorFailure.protocolViolation("no row for the connection limits") }
        guard canSeeAll else { throw CollectorFailure.permission(role: role) }

        var rows: [ActivityRow] = []
        for try await row in try await connection.query(activitySQL, logger: logger) {
            let (pid, state, address, port, application, wait, connectionAge, transactionAge, queryAge, stateAge) =
                try row.decode((Int32, String?, String?, Int32?, String?, String?, Double?, Double?, Double?, Double?).self)
            rows.append(ActivityRow(
                pid: pid, state: state, clientAddress: address.map(unmappedIPv4), clientPort: port.map(Int.init),
                applicationName: application, waitEventType: wait, connectionAgeSeconds: connectionAge,
                transactionAgeSeconds: transactionAge, queryAgeSeconds: queryAge, stateAgeSeconds: stateAge))
        }
        return ActivitySnapshot(limits: limits, rows: rows, ownBackendPID: ownPID)
    }

    /// `::ffff:127.0.0.1` → `127.0.0.1`: a dual-stack server sees an IPv4 client as IPv4-mapped IPv6,
    /// while the client's own socket is listed in `/proc/net/tcp` as plain IPv4.
    static func unmappedIPv4(_ address: String) -> String {
        let prefix = "::ffff:"
        guard address.lowercased().hasPrefix(prefix) else { return address }
        let rest = address.dropFirst(prefix.count)
        return rest.contains(".") ? String(rest) : address
    }
}
