/// Why a worker's connections are judged leaking: its counts over the growth streak.
///
/// Counts are connections held by the worker's whole process tree in one pool (`by_worker`); growth is a
/// fraction of `baseline` per check (0.25 = the count rose by a quarter of the baseline since the previous
/// check).
public struct ConnectionLeakEvidence: Sendable, Equatable {
    /// Count at the check before the streak's first growing check, connections (>= `leak_min_connections`).
    public var baseline: Int
    /// The most recent counts of the streak, oldest first, the baseline first while it fits (at most
    /// `ConnectionLeakSeries.maximumCounts` entries).
    public var counts: [Int]
    /// Growth of each check in `counts` over its predecessor, as a fraction of `baseline`
    /// (`counts.count - 1` entries).
    public var growthPerCheck: [Double]
    /// Growing checks of the streak so far (flat checks tolerated between them are in `counts` but not
    /// here; may exceed `counts.count - 1` once `counts` is truncated).
    public var checks: Int
    /// Seconds since the Unix epoch of the check at which the streak reached `leak_checks`.
    public var suspectedSince: Double
    /// How long the suspicion must hold for a verdict (the program's leak `sustain`), seconds.
    public var sustainSeconds: Double
    /// When the pool will reach its `exhaustion` threshold at the worker's rate; `nil` when the pool's size is
    /// unknown or the collector gave no room.
    public var forecast: ConnectionLeakForecast?
    /// The verdict came before `sustainSeconds` had passed, because `forecast` said the pool would be
    /// exhausted first (or already was).
    public var beforeSustain: Bool

    public init(baseline: Int, counts: [Int], growthPerCheck: [Double], checks: Int, suspectedSince: Double, sustainSeconds: Double,
                forecast: ConnectionLeakForecast? = nil, beforeSustain: Bool = false) {
        self.baseline = baseline; self.counts = counts; self.growthPerCheck = growthPerCheck
        self.checks = checks; self.suspectedSince = suspectedSince; self.sustainSeconds = sustainSeconds
        self.forecast = forecast; self.beforeSustain = beforeSustain
    }

    /// "8 → 12 → 16 → 20 connections, +50 % of 8 per check over 3 checks; pool exhausted in ~14 s at +3.1 conn/s".
    public var summary: String {
        let path = counts.map(String.init).joined(separator: " → ")
        let average = growthPerCheck.isEmpty ? 0 : growthPerCheck.reduce(0, +) / Double(growthPerCheck.count)
        let percent = Int((average * 100).rounded())
        let flat = growthPerCheck.count > checks ? " (\(checks) growing)" : ""
        return "\(path) connections, +\(percent) % of \(baseline) per check over \(growthPerCheck.count) checks\(flat)"
            + (forecast.map { "; \($0.summary)" } ?? "")
    }
}

/// Where a leaking worker takes its pool: the streak's mean rate and the time until the pool's usage
/// reaches the collector's `exhaustion` threshold at that rate.
public struct ConnectionLeakForecast: Sendable, Equatable {
    /// The worker's growth over its streak, connections per second (> 0).
    public var connectionsPerSecond: Double
    /// Seconds until the pool reaches `exhaustedAt` connections at that rate; 0 when it already has.
    public var secondsToExhaustion: Double
    /// Connections (`in_use + idle`) at which the pool counts as exhausted: `ceil(exhaustion × max)`.
    public var exhaustedAt: Int
    /// Connections in the pool (all clients) at the check.
    public var used: Int
    /// The pool's size (`max`), connections; `nil` when not given.
    public var max: Int?

    public init(connectionsPerSecond: Double, secondsToExhaustion: Double, exhaustedAt: Int, used: Int, max: Int? = nil) {
        self.connectionsPerSecond = connectionsPerSecond; self.secondsToExhaustion = secondsToExhaustion
        self.exhaustedAt = exhaustedAt; self.used = used; self.max = max
    }

    /// "pool exhausted in ~14 s at +3.1 conn/s", "pool exhausted in ~16 min at +3.0 conn/min" (a rate that
    /// rounds below 1.0 a second is given per minute, so 0.05 and 0.14 conn/s do not both read +0.1), or "pool already
    /// exhausted (57 of 60 taken) at +3.1 conn/s".
    public var summary: String {
        let perSecond = (connectionsPerSecond * 10).rounded() / 10
        let rate = perSecond >= 1 ? "+\(perSecond) conn/s" : "+\((connectionsPerSecond * 600).rounded() / 10) conn/min"
        if secondsToExhaustion <= 0 { return "pool already exhausted (\(used) of \(max ?? exhaustedAt) taken) at \(rate)" }
        return "pool exhausted in \(DurationText.approximate(seconds: secondsToExhaustion)) at \(rate)"
    }
}

/// A pool's occupancy at a check, for `ConnectionLeakSeries` to forecast exhaustion.
public struct PoolRoom: Sendable, Equatable {
    /// Connections in the pool (`in_use + idle`), every client.
    public var used: Int
    /// Connections at which the pool counts as highly used (`ceil(high_usage × max)`).
    public var highUsageAt: Int
    /// Connections at which the pool counts as exhausted (`ceil(exhaustion × max)`).
    public var exhaustedAt: Int
    /// The pool's size, connections; `nil` when not given.
    public var max: Int?

    public init(used: Int, highUsageAt: Int, exhaustedAt: Int, max: Int? = nil) {
        self.used = used; self.highUsageAt = highUsageAt; self.exhaustedAt = exhaustedAt; self.max = max
    }

    /// The room of a pool of `max` connections (`nil` when `max` is unknown) under `thresholds`.
    public init?(used: Int, max: Int, thresholds: PoolThresholds) {
        guard max > 0 else { return nil }
        // 0.95 × 60 is 57.00000000000001: a hair below the product before rounding up.
        func at(_ fraction: Double) -> Int { Int((fraction * Double(max) - 1e-9).rounded(.up)) }
        self.init(used: used, highUsageAt: at(thresholds.highUsage), exhaustedAt: at(thresholds.exhaustion), max: max)
    }
}

/// A worker that crossed into a connection-leak verdict at this check; the supervisor acts on it
/// (restart or alert, per the program's `connection_leak`) at most once per leak episode.
public struct ConnectionLeakVerdict: Sendable, Equatable {
    /// Collector name.
    public var collector: String
    /// Pool identity without credentials.
    public var pool: String
    /// Worker instance name (`api:0`).
    public var worker: String
    public var evidence: ConnectionLeakEvidence
    /// The verdict in words, as the `connection-leak` alert says it (the growth, the forecast, when and
    /// why Warden acted, how full the pool was).
    public var message: String

    public init(collector: String, pool: String, worker: String, evidence: ConnectionLeakEvidence, message: String = "") {
        self.collector = collector; self.pool = pool; self.worker = worker; self.evidence = evidence
        self.message = message
    }
}
