public import WardenCore

/// Body of `GET /v1/alerts` and of `warden alerts --json`: `{"alerts": [AlertStatus...]}`, oldest
/// `started_at` first, open and recently resolved alerts together, pool and process alerts alike.
public struct AlertList: Codable, Sendable, Equatable {
    public var alerts: [AlertStatus]
    public init(alerts: [AlertStatus]) { self.alerts = alerts }
}

/// One alert: a pool alert of a collector, or a process alert (a restart loop, a leak verdict).
///
/// JSON (snake_case; `null` where not applicable):
/// `{"kind":"connection-leak","severity":"critical","collector":"postgres",
///   "pool":"postgres://127.0.0.1:5432/app","worker":"api:0","process":null,"reason":null,"occurrences":1,
///   "evidence":null,"started_at":"2026-11-30T10:00:00.000Z","resolved_at":null,"message":"api:0 keeps …"}`,
/// `{"kind":"restart-loop","severity":"critical","collector":null,"pool":null,"worker":null,"process":"api:0",
///   "reason":"exit","occurrences":5,"evidence":null,…,"message":"restart loop: 5 restarts for exit within 10m …"}`.
public struct AlertStatus: Codable, Sendable, Equatable {
    /// An `AlertKind`: `high-usage`, `exhaustion`, `connection-leak`, `exhaustion-forecast`, `long-running`, `plugin-failure` (pool
    /// alerts), `restart-loop` or `leak` (process alerts).
    public var kind: String
    /// `warning` or `critical`.
    public var severity: String
    /// Collector name (`[collectors.NAME]`) of a pool alert; `null` for a process alert.
    public var collector: String?
    /// Pool identity without credentials; `null` for `plugin-failure` and process alerts.
    public var pool: String?
    /// Worker instance name for `connection-leak`, `exhaustion-forecast` and attributed `long-running`;
    /// else `null`.
    public var worker: String?
    /// `long-running`: the connection's id (its backend pid); else `null`.
    public var connection: String?
    /// Instance name of a process alert; `null` for pool alerts.
    public var process: String?
    /// Process alerts: the restart reason that loops (`exit`, `memory-growth`, …) or the leak verdict
    /// (`memory-growth`, `rss-max`, `fds-max`, `threads-max`); `null` for pool alerts.
    public var reason: String?
    /// Times the condition occurred while the alert was open (restarts of a loop, leak verdicts, a
    /// connection leak found again after each restart); 1 for a condition seen once.
    public var occurrences: Int
    /// `leak`: the detector's figures (`rss_bytes`, `tree_rss_bytes`, `rss_growth_mb_per_min`, `window_seconds`,
    /// …, as in `events.jsonl`); `exhaustion-forecast`: `forecast` and `forecast_seconds`; else `null`.
    public var evidence: WardenEvent.Evidence?
    /// RFC 3339 UTC time the condition was first seen.
    public var startedAt: String
    /// RFC 3339 UTC time it stopped holding; `null` while the alert is open.
    public var resolvedAt: String?
    /// Human description; never contains credentials.
    public var message: String

    public init(
        kind: String, severity: String, collector: String?, pool: String?, worker: String?, process: String? = nil,
        connection: String? = nil, reason: String? = nil, occurrences: Int = 1, evidence: WardenEvent.Evidence? = nil, startedAt: String,
        resolvedAt: String?, message: String
    ) {
        self.kind = kind; self.severity = severity; self.collector = collector; self.pool = pool
        self.worker = worker; self.process = process; self.connection = connection; self.reason = reason; self.occurrences = occurrences
        self.evidence = evidence; self.startedAt = startedAt; self.resolvedAt = resolvedAt; self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case kind, severity, collector, pool, worker, process, connection, reason, occurrences, evidence, message
        case startedAt = "started_at", resolvedAt = "resolved_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            kind: try c.decode(String.self, forKey: .kind), severity: try c.decode(String.self, forKey: .severity),
            collector: try c.decodeIfPresent(String.self, forKey: .collector),
            pool: try c.decodeIfPresent(String.self, forKey: .pool), worker: try c.decodeIfPresent(String.self, forKey: .worker),
            process: try c.decodeIfPresent(String.self, forKey: .process),
            connection: try c.decodeIfPresent(String.self, forKey: .connection),
            reason: try c.decodeIfPresent(String.self, forKey: .reason),
            occurrences: try c.decodeIfPresent(Int.self, forKey: .occurrences) ?? 1,
            evidence: try c.decodeIfPresent(WardenEvent.Evidence.self, forKey: .evidence),
            startedAt: try c.decode(String.self, forKey: .startedAt),
            resolvedAt: try c.decodeIfPresent(String.self, forKey: .resolvedAt), message: try c.decode(String.self, forKey: .message))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind); try c.encode(severity, forKey: .severity)
        try c.encode(collector, forKey: .collector); try c.encode(pool, forKey: .pool)
        try c.encode(worker, forKey: .worker); try c.encode(process, forKey: .process)
        try c.encodeIfPresent(connection, forKey: .connection)
        try c.encode(reason, forKey: .reason); try c.encode(occurrences, forKey: .occurrences)
        try c.encode(evidence, forKey: .evidence); try c.encode(startedAt, forKey: .startedAt)
        try c.encode(resolvedAt, forKey: .resolvedAt); try c.encode(message, forKey: .message)
    }
}
