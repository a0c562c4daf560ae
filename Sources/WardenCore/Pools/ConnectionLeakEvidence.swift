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
    /// Consecutive growing checks so far (may exceed `counts.count - 1` once `counts` is truncated).
    public var checks: Int
    /// Seconds since the Unix epoch of the check at which the streak reached `leak_checks`.
    public var suspectedSince: Double
    /// How long the suspicion must hold for a verdict (the program's leak `sustain`), seconds.
    public var sustainSeconds: Double

    public init(baseline: Int, counts: [Int], growthPerCheck: [Double], checks: Int, suspectedSince: Double, sustainSeconds: Double) {
        self.baseline = baseline; self.counts = counts; self.growthPerCheck = growthPerCheck
        self.checks = checks; self.suspectedSince = suspectedSince; self.sustainSeconds = sustainSeconds
    }

    /// "8 → 12 → 16 → 20 connections, +50 % of 8 per check over 3 checks".
    public var summary: String {
        let path = counts.map(String.init).joined(separator: " → ")
        let average = growthPerCheck.isEmpty ? 0 : growthPerCheck.reduce(0, +) / Double(growthPerCheck.count)
        let percent = Int((average * 100).rounded())
        return "\(path) connections, +\(percent) % of \(baseline) per check over \(checks) checks"
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

    public init(collector: String, pool: String, worker: String, evidence: ConnectionLeakEvidence) {
        self.collector = collector; self.pool = pool; self.worker = worker; self.evidence = evidence
    }
}
