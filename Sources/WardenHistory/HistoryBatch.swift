import WardenCore

/// What one write transaction holds: a round's samples and closed rollups, pool samples and events.
struct HistoryBatch: Sendable {
    struct Sample: Sendable {
        var tier: HistoryTier
        var process: String
        var time: Int
        var rss: UInt64
        var rssMin: UInt64?
        var rssMax: UInt64?
        var treeRSS: UInt64
        var fds: Int
        var threads: Int
        var cpu: Double?
        var severity: Int
        var growth: Double?
    }

    struct Pool: Sendable {
        var collector: String
        var pool: String
        var time: Int
        var inUse: Int
        var idle: Int
        var max: Int
        var waiting: Int?
        var unattributed: Int
        var byWorkerJSON: String
    }

    struct Alert: Sendable {
        var opened: Bool
        var kind: String
        var collector: String?
        var pool: String?
        var worker: String?
        /// `long-running`: the connection's id.
        var connection: String?
        var message: String?
        var severity: String?
        /// Process alerts: the `alert_reason` (the `worker` column holds the instance).
        var reason: String?
        var occurrences: Int?
        var evidenceJSON: String?
    }

    struct Event: Sendable {
        var time: Int
        var kind: String
        var process: String?
        var json: String
        var alert: Alert?
    }

    /// One sampling round for the raw tier: `entries[i]` is instance `names[i]` of program `programs[i]`
    /// (the process id is filled in at write).
    struct RawRound: Sendable {
        var time: Int
        var names: [String]
        var programs: [String]
        var entries: [RawEntry]
    }

    /// Instance name → program, for every process named in `samples`.
    var processNames: [String: String] = [:]
    var rawRounds: [RawRound] = []
    /// Rollup rows (tiers above raw).
    var samples: [Sample] = []
    var pools: [Pool] = []
    var events: [Event] = []

    var isEmpty: Bool { rawRounds.isEmpty && samples.isEmpty && pools.isEmpty && events.isEmpty }
}
