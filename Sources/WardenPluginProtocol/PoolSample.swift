/// One connection pool as a collector measured it in one round.
///
/// JSON: `{"pool":"postgres://127.0.0.1:5432/app","max":97,"in_use":12,"idle":30,"waiting":null,
/// "by_worker":{"api:0":20},"unattributed":3,"long_running":[...],"collected_at":"2026-11-30T10:00:00Z",
/// "backend_memory":{"api:0":{"backends":20,"rss_bytes":283115520,"pss_bytes":61865984}}}`.
/// Counts are connections. The collector's own connection is not counted anywhere. `backend_memory` is
/// `null` (or absent, from older plugins) unless the server runs on the collector's host.
public struct PoolSample: Codable, Sendable, Equatable {
    /// Pool identity without credentials: `postgres://host:port/db`, `redis://host:port`.
    public var pool: String
    /// Connections a client may open before being refused: PostgreSQL `max_connections` minus the reserved
    /// slots, Redis `maxclients`.
    public var max: Int
    /// Connections doing work (PostgreSQL `state` other than `idle`; Redis clients running a command).
    public var inUse: Int
    /// Connections open but idle.
    public var idle: Int
    /// Clients waiting for a connection or blocked (Redis `blocked_clients`), `nil` where unknown.
    public var waiting: Int?
    /// Worker instance name → connections held by any process of its tree.
    public var byWorker: [String: Int]
    /// Client connections no supervised worker could be found for.
    public var unattributed: Int
    /// Connections in a transaction or query for longer than `long_running_seconds`.
    public var longRunning: [LongRunningConnection]
    /// RFC 3339 time of the measurement.
    public var collectedAt: String
    /// Worker instance name → memory of the server processes serving its connections (PostgreSQL
    /// backends); every requested worker is present. `nil` when the server's processes cannot be read
    /// (another host or pid namespace, no permission, or a server without a process per connection).
    public var backendMemory: [String: BackendMemory]?

    public init(
        pool: String, max: Int, inUse: Int, idle: Int, waiting: Int?, byWorker: [String: Int],
        unattributed: Int, longRunning: [LongRunningConnection], collectedAt: String,
        backendMemory: [String: BackendMemory]? = nil
    ) {
        self.pool = pool; self.max = max; self.inUse = inUse; self.idle = idle; self.waiting = waiting
        self.byWorker = byWorker; self.unattributed = unattributed; self.longRunning = longRunning
        self.collectedAt = collectedAt; self.backendMemory = backendMemory
    }

    enum CodingKeys: String, CodingKey {
        case pool, max, idle, waiting
        case inUse = "in_use", byWorker = "by_worker", unattributed
        case longRunning = "long_running", collectedAt = "collected_at", backendMemory = "backend_memory"
    }

    /// Writes `"waiting":null` explicitly when unknown (the documented shape) instead of omitting the key.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pool, forKey: .pool)
        try container.encode(max, forKey: .max)
        try container.encode(inUse, forKey: .inUse)
        try container.encode(idle, forKey: .idle)
        try container.encode(waiting, forKey: .waiting)
        try container.encode(byWorker, forKey: .byWorker)
        try container.encode(unattributed, forKey: .unattributed)
        try container.encode(longRunning, forKey: .longRunning)
        try container.encode(collectedAt, forKey: .collectedAt)
        try container.encode(backendMemory, forKey: .backendMemory)
    }
}

/// The server processes serving one worker's connections and their memory (from `/proc/PID/smaps_rollup`).
///
/// JSON: `{"backends":3,"rss_bytes":42467328,"pss_bytes":9279488}`. `rss_bytes` counts shared pages (a
/// PostgreSQL backend's share of `shared_buffers`) in every backend; `pss_bytes` splits them among the
/// processes mapping them, so it adds up across workers.
public struct BackendMemory: Codable, Sendable, Equatable {
    /// Server processes (PostgreSQL backends) whose memory was read.
    public var backends: Int
    /// Sum of their resident set sizes (`Rss`), bytes.
    public var rssBytes: UInt64
    /// Sum of their proportional set sizes (`Pss`), bytes.
    public var pssBytes: UInt64

    public init(backends: Int, rssBytes: UInt64, pssBytes: UInt64) {
        self.backends = backends; self.rssBytes = rssBytes; self.pssBytes = pssBytes
    }

    enum CodingKeys: String, CodingKey {
        case backends
        case rssBytes = "rss_bytes", pssBytes = "pss_bytes"
    }
}

/// A connection that has been in a transaction or a query for too long.
///
/// JSON: `{"id":"4242","worker":"api:0","state":"idle in transaction","age_seconds":312.5,"client":"127.0.0.1:51234"}`.
public struct LongRunningConnection: Codable, Sendable, Equatable {
    /// Server-side identity: the PostgreSQL backend pid, the Redis client id.
    public var id: String
    /// Worker holding it, `nil` when unattributed.
    public var worker: String?
    /// Server-reported state (PostgreSQL `state`: `active`, `idle in transaction`, ...; Redis the command).
    public var state: String
    /// Seconds since the transaction (or query) started, measured on the server.
    public var ageSeconds: Double
    /// Client address `host:port`, or `local` for a unix socket, `nil` where unknown.
    public var client: String?

    public init(id: String, worker: String?, state: String, ageSeconds: Double, client: String?) {
        self.id = id; self.worker = worker; self.state = state; self.ageSeconds = ageSeconds; self.client = client
    }

    enum CodingKeys: String, CodingKey {
        case id, worker, state, client
        case ageSeconds = "age_seconds"
    }

    /// Writes `"worker":null` / `"client":null` explicitly (the documented shape) instead of omitting them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(worker, forKey: .worker)
        try container.encode(state, forKey: .state)
        try container.encode(ageSeconds, forKey: .ageSeconds)
        try container.encode(client, forKey: .client)
    }
}
