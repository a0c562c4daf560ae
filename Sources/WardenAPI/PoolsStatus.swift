public import WardenPluginProtocol
/// Body of `GET /v1/pools` and of `warden pools --json`: `{"pools": [PoolStatus...]}`, sorted by collector,
/// then pool.
public struct PoolList: Codable, Sendable, Equatable {
    public var pools: [PoolStatus]
    public init(pools: [PoolStatus]) { self.pools = pools }
}

/// The latest sample of one connection pool.
///
/// JSON (snake_case; `null` where unknown):
/// `{"collector":"postgres","pool":"postgres://127.0.0.1:5432/app","max":97,"in_use":12,"idle":30,
///   "waiting":null,"usage":0.433,"by_worker":{"api:0":20},"unattributed":3,"long_running":[...],
///   "collected_at":"2026-11-30T10:00:00Z","backend_memory":{"api:0":{"backends":20,"rss_bytes":283115520,"pss_bytes":61865984}}}`.
/// Counts are connections; the collector's own connection is not counted anywhere.
public struct PoolStatus: Codable, Sendable, Equatable {
    /// Collector name (`[collectors.NAME]`).
    public var collector: String
    /// Pool identity without credentials: `postgres://host:port/db`, `redis://host:port`.
    public var pool: String
    /// Connections a client may open before being refused (server limit minus reserved slots).
    public var max: Int
    /// Connections doing work.
    public var inUse: Int
    /// Connections open but idle.
    public var idle: Int
    /// Clients waiting for a connection or blocked; `null` where the server does not say.
    public var waiting: Int?
    /// Fraction of `max` taken, `(in_use + idle) / max`; idle connections count because they occupy a slot.
    /// Above 1 when connections reserved for superusers are in use (PostgreSQL's
    /// `superuser_reserved_connections`): the same figure the pool alerts give. `null` when `max` is 0.
    public var usage: Double?
    /// Worker instance name → connections held by any process of its tree.
    public var byWorker: [String: Int]
    /// Client connections no supervised worker could be found for.
    public var unattributed: Int
    /// Connections in a transaction or query longer than the collector's `long_running` threshold.
    public var longRunning: [LongRunningStatus]
    /// RFC 3339 time of the measurement, as the collector reported it.
    public var collectedAt: String
    /// Worker → the server processes serving its connections and their summed Rss/Pss in bytes (PostgreSQL
    /// backends of a server on Warden's host); `null` when the collector could not read them.
    public var backendMemory: [String: BackendMemory]?

    public init(
        collector: String, pool: String, max: Int, inUse: Int, idle: Int, waiting: Int?, usage: Double?,
        byWorker: [String: Int], unattributed: Int, longRunning: [LongRunningStatus], collectedAt: String,
        backendMemory: [String: BackendMemory]? = nil
    ) {
        self.collector = collector; self.pool = pool; self.max = max; self.inUse = inUse; self.idle = idle
        self.waiting = waiting; self.usage = usage; self.byWorker = byWorker; self.unattributed = unattributed
        self.longRunning = longRunning; self.collectedAt = collectedAt; self.backendMemory = backendMemory
    }

    enum CodingKeys: String, CodingKey {
        case collector, pool, max, idle, waiting, usage, unattributed
        case inUse = "in_use", byWorker = "by_worker", longRunning = "long_running", collectedAt = "collected_at"
        case backendMemory = "backend_memory"
    }

    public func encode(to encoder: any Encoder) throws {
        // Explicit so that nil values are written as `null` rather than omitted (the API promises keys).
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(collector, forKey: .collector); try c.encode(pool, forKey: .pool)
        try c.encode(max, forKey: .max); try c.encode(inUse, forKey: .inUse); try c.encode(idle, forKey: .idle)
        try c.encode(waiting, forKey: .waiting); try c.encode(usage, forKey: .usage)
        try c.encode(byWorker, forKey: .byWorker); try c.encode(unattributed, forKey: .unattributed)
        try c.encode(longRunning, forKey: .longRunning); try c.encode(collectedAt, forKey: .collectedAt)
        try c.encode(backendMemory, forKey: .backendMemory)
    }
}

/// A connection in a transaction or query for too long, as shown in `PoolStatus.long_running`: the
/// plugin protocol's record, passed through unchanged (same JSON:
/// `{"id":"4242","worker":"api:0","state":"idle in transaction","age_seconds":312.5,"client":"127.0.0.1:51234"}`).
public typealias LongRunningStatus = LongRunningConnection
