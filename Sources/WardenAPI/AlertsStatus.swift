/// Body of `GET /v1/alerts` and of `warden alerts --json`: `{"alerts": [AlertStatus...]}`, oldest
/// `started_at` first, open and recently resolved alerts together.
public struct AlertList: Codable, Sendable, Equatable {
    public var alerts: [AlertStatus]
    public init(alerts: [AlertStatus]) { self.alerts = alerts }
}

/// One pool alert.
///
/// JSON (snake_case; `null` where not applicable):
/// `{"kind":"connection-leak","severity":"critical","collector":"postgres",
///   "pool":"postgres://127.0.0.1:5432/app","worker":"api:0","started_at":"2026-11-30T10:00:00.000Z",
///   "resolved_at":null,"message":"api:0 keeps opening connections to …"}`.
public struct AlertStatus: Codable, Sendable, Equatable {
    /// `high-usage`, `exhaustion`, `connection-leak`, `long-running` or `plugin-failure`.
    public var kind: String
    /// `warning` or `critical`.
    public var severity: String
    /// Collector name (`[collectors.NAME]`).
    public var collector: String
    /// Pool identity without credentials; `null` for `plugin-failure`, which concerns the whole collector.
    public var pool: String?
    /// Worker instance name for `connection-leak` and attributed `long-running`; else `null`.
    public var worker: String?
    /// RFC 3339 UTC time the condition was first seen.
    public var startedAt: String
    /// RFC 3339 UTC time it stopped holding; `null` while the alert is open.
    public var resolvedAt: String?
    /// Human description; never contains credentials.
    public var message: String

    public init(
        kind: String, severity: String, collector: String, pool: String?, worker: String?, startedAt: String,
        resolvedAt: String?, message: String
    ) {
        self.kind = kind; self.severity = severity; self.collector = collector; self.pool = pool
        self.worker = worker; self.startedAt = startedAt; self.resolvedAt = resolvedAt; self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case kind, severity, collector, pool, worker, message
        case startedAt = "started_at", resolvedAt = "resolved_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind); try c.encode(severity, forKey: .severity)
        try c.encode(collector, forKey: .collector); try c.encode(pool, forKey: .pool)
        try c.encode(worker, forKey: .worker); try c.encode(startedAt, forKey: .startedAt)
        try c.encode(resolvedAt, forKey: .resolvedAt); try c.encode(message, forKey: .message)
    }
}
