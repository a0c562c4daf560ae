public import WardenCore

/// `GET /v1/processes/NAME/history`: one instance's samples over a range, from one history tier.
public struct ProcessHistory: Codable, Sendable, Equatable {
    public var process: String
    /// Width of each point, seconds: 0 for raw samples, else the bucket they summarise.
    public var resolutionSeconds: Double
    public var points: [HistoryPoint]

    public init(process: String, resolutionSeconds: Double, points: [HistoryPoint]) {
        self.process = process; self.resolutionSeconds = resolutionSeconds; self.points = points
    }

    enum CodingKeys: String, CodingKey {
        case process, points
        case resolutionSeconds = "resolution_seconds"
    }
}

/// One point of a process's history. For a bucket: the mean resident memory (with its minimum and
/// maximum), the largest fd and thread counts, the mean CPU and growth and the worst severity.
public struct HistoryPoint: Codable, Sendable, Equatable {
    /// RFC 3339 UTC: the sample's time, or the start of the bucket.
    public var time: String
    public var rssBytes: UInt64
    public var rssBytesMin: UInt64?
    public var rssBytesMax: UInt64?
    public var treeRSSBytes: UInt64
    public var fds: Int
    public var threads: Int
    public var cpuPercent: Double?
    public var severity: String?
    public var rssGrowthMBPerMin: Double?

    public init(time: String, rssBytes: UInt64, rssBytesMin: UInt64? = nil, rssBytesMax: UInt64? = nil,
                treeRSSBytes: UInt64, fds: Int, threads: Int, cpuPercent: Double?, severity: String?,
                rssGrowthMBPerMin: Double?) {
        self.time = time; self.rssBytes = rssBytes; self.rssBytesMin = rssBytesMin; self.rssBytesMax = rssBytesMax
        self.treeRSSBytes = treeRSSBytes; self.fds = fds; self.threads = threads; self.cpuPercent = cpuPercent
        self.severity = severity; self.rssGrowthMBPerMin = rssGrowthMBPerMin
    }

    enum CodingKeys: String, CodingKey {
        case time, fds, threads, severity
        case rssBytes = "rss_bytes", rssBytesMin = "rss_bytes_min", rssBytesMax = "rss_bytes_max"
        case treeRSSBytes = "tree_rss_bytes", cpuPercent = "cpu_percent", rssGrowthMBPerMin = "rss_growth_mb_per_min"
    }
}

/// `GET /v1/pools/history`: each pool's samples over a range.
public struct PoolHistoryList: Codable, Sendable, Equatable {
    public var pools: [PoolHistory]
    public init(pools: [PoolHistory]) { self.pools = pools }
}

public struct PoolHistory: Codable, Sendable, Equatable {
    public var collector: String
    public var pool: String
    public var resolutionSeconds: Double
    public var points: [PoolHistoryPoint]

    public init(collector: String, pool: String, resolutionSeconds: Double, points: [PoolHistoryPoint]) {
        self.collector = collector; self.pool = pool; self.resolutionSeconds = resolutionSeconds; self.points = points
    }

    enum CodingKeys: String, CodingKey {
        case collector, pool, points
        case resolutionSeconds = "resolution_seconds"
    }
}

/// One point of a pool's history (for a bucket: means of the counts, the last `by_worker`).
public struct PoolHistoryPoint: Codable, Sendable, Equatable {
    public var time: String
    public var inUse: Double
    public var idle: Double
    public var max: Int
    public var usage: Double?
    public var unattributed: Double
    public var byWorker: [String: Int]

    public init(time: String, inUse: Double, idle: Double, max: Int, usage: Double?, unattributed: Double,
                byWorker: [String: Int]) {
        self.time = time; self.inUse = inUse; self.idle = idle; self.max = max; self.usage = usage
        self.unattributed = unattributed; self.byWorker = byWorker
    }

    enum CodingKeys: String, CodingKey {
        case time, idle, max, usage, unattributed
        case inUse = "in_use", byWorker = "by_worker"
    }
}

/// `GET /v1/events`: the recorded events in a range, oldest first, as `events.jsonl` has them.
public struct EventList: Codable, Sendable, Equatable {
    public var events: [WardenEvent]
    public init(events: [WardenEvent]) { self.events = events }
}

/// The history's own account, in `/v1/health`.
public struct HistoryHealth: Codable, Sendable, Equatable {
    public var path: String
    /// Whether the database is open (false before it is, or when it could not be opened or created).
    public var open: Bool
    /// Bytes the database uses (pages in use × page size).
    public var bytes: Int
    public var batchesWritten: Int
    public var rowsWritten: Int
    /// Batches that could not be written (I/O error, disk full): their data is lost.
    public var failedBatches: Int
    /// Whether writes are paused after an I/O error (retried every minute).
    public var paused: Bool
    /// Corrupt or unopenable files moved aside (`history.sqlite.corrupt-TIME`) since Warden started.
    public var movedAside: Int
    public var lastError: String?

    public init(path: String, open: Bool, bytes: Int, batchesWritten: Int, rowsWritten: Int, failedBatches: Int, paused: Bool,
                movedAside: Int, lastError: String?) {
        self.path = path; self.open = open; self.bytes = bytes; self.batchesWritten = batchesWritten; self.rowsWritten = rowsWritten
        self.failedBatches = failedBatches; self.paused = paused; self.movedAside = movedAside; self.lastError = lastError
    }

    enum CodingKeys: String, CodingKey {
        case path, open, bytes, paused
        case batchesWritten = "batches_written", rowsWritten = "rows_written", failedBatches = "failed_batches"
        case movedAside = "moved_aside", lastError = "last_error"
    }
}

/// A time range of a history query: seconds since the Unix epoch.
public struct HistoryRange: Sendable, Equatable {
    public var from: Double
    public var to: Double
    public init(from: Double, to: Double) { self.from = from; self.to = to }
}

/// What the history answers (`WardenHistory`); the HTTP routes drive it.
public protocol HistoryQuerying: Sendable {
    func processHistory(_ name: String, range: HistoryRange) async throws -> ProcessHistory
    func poolHistory(collector: String?, range: HistoryRange) async throws -> PoolHistoryList
    /// Events in `range`, of any of `processes` (all when nil) and of `kind` (all when nil).
    func events(range: HistoryRange, processes: [String]?, kind: WardenEvent.Kind?) async throws -> EventList
    /// Alerts resolved in `range` (the pool alerts' `started_at`/`resolved_at` rows), oldest first.
    func resolvedAlerts(range: HistoryRange) async throws -> [AlertStatus]
    func health() async -> HistoryHealth
    /// Whether the history has recorded `name` (an instance no longer configured may still have history).
    func knows(process name: String) async -> Bool
}
