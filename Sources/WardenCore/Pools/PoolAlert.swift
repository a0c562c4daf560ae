/// One alert about a connection pool: a condition that started at `startedAt` and, once it no longer
/// holds, was resolved at `resolvedAt`.
///
/// De-duplicated by `key`: while its condition holds, a condition has exactly one open alert. Times are
/// seconds since the Unix epoch (wall clock, UTC), as passed to `PoolAlertTracker`.
public struct PoolAlert: Sendable, Equatable {
    /// What the alert is about (the shared vocabulary of pool and process alerts).
    public typealias Kind = AlertKind
    /// How urgent.
    public typealias Severity = AlertSeverity

    /// What makes two alerts "the same condition": kind, collector, pool, worker and connection id.
    public struct Key: Sendable, Hashable {
        public var kind: Kind
        public var collector: String
        public var pool: String?
        public var worker: String?
        public var connection: String?

        public init(kind: Kind, collector: String, pool: String?, worker: String?, connection: String?) {
            self.kind = kind; self.collector = collector; self.pool = pool; self.worker = worker
            self.connection = connection
        }
    }

    public var kind: Kind
    public var severity: Severity
    /// Collector name (`[collectors.NAME]`).
    public var collector: String
    /// Pool identity without credentials (`postgres://host:port/db`); `nil` for `plugin-failure`.
    public var pool: String?
    /// Worker instance name (`api:0`) for `connection-leak`, `exhaustion-forecast` and attributed
    /// `long-running`, else `nil`.
    public var worker: String?
    /// Server-side connection id (PostgreSQL backend pid, Redis client id) for `long-running`, else `nil`.
    public var connection: String?
    /// Seconds since the Unix epoch when the condition was first seen.
    public var startedAt: Double
    /// Seconds since the Unix epoch when the condition no longer held; `nil` while open.
    public var resolvedAt: Double?
    /// Human description, free of credentials. Updated while the alert is open (ages, counts).
    public var message: String
    /// For `connection-leak`: the growth that led to the verdict.
    public var leakEvidence: ConnectionLeakEvidence?
    /// For `exhaustion-forecast`: where the suspected leak takes the pool, as of the last check.
    public var forecast: ConnectionLeakForecast?
    /// Times the condition occurred while the alert was open: a `connection-leak` found again in the
    /// worker's next process counts on the same alert.
    public var occurrences = 1
    /// For a `connection-leak` whose worker was restarted: when the alert resolves unless the leak recurs
    /// first (seconds since the Unix epoch); `nil` otherwise.
    public var resolvesAt: Double?

    public init(
        kind: Kind, severity: Severity, collector: String, pool: String?, worker: String?, connection: String?,
        startedAt: Double, resolvedAt: Double? = nil, message: String, leakEvidence: ConnectionLeakEvidence? = nil
    ) {
        self.kind = kind; self.severity = severity; self.collector = collector; self.pool = pool
        self.worker = worker; self.connection = connection; self.startedAt = startedAt
        self.resolvedAt = resolvedAt; self.message = message; self.leakEvidence = leakEvidence
    }

    /// The de-duplication key of this alert.
    public var key: Key {
        Key(kind: kind, collector: collector, pool: pool, worker: worker, connection: connection)
    }

    /// `true` while `resolvedAt` is `nil`.
    public var isOpen: Bool { resolvedAt == nil }
}
