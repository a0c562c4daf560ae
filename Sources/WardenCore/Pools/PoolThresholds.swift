/// Alert thresholds of one collector: the `[collectors.NAME.thresholds]` table.
///
/// Fractions are of the pool's `max` (0..1]; counts are connections; durations are `Duration`s.
/// Invariants (the config validator enforces them): `0 < highUsage <= exhaustion <= 1`, `leakGrowth > 0`,
/// `highUsageChecks >= 1`, `leakChecks >= 1`, `leakFlatChecks >= 0`, `leakMinConnections >= 1`, `longRunning > 0`.
public struct PoolThresholds: Sendable, Equatable {
    /// Usage fraction at or above which `high-usage` is raised (`high_usage`). Default 0.80.
    public var highUsage: Double
    /// Consecutive checks at or above `highUsage` before `high-usage` is raised (`high_usage_checks`), so a
    /// single burst sample raises nothing. Default 2.
    public var highUsageChecks: Int
    /// Usage fraction at or above which `exhaustion` is raised at once (`exhaustion`). Default 0.95.
    public var exhaustion: Double
    /// Growth per check, as a fraction of the worker's count at the start of its growth streak, that counts
    /// as leak growth (`leak_growth`). Default 0.10 (10 % per check).
    public var leakGrowth: Double
    /// Consecutive growing checks that make a connection-leak suspicion (`leak_checks`). Default 3.
    public var leakChecks: Int
    /// Flat checks in a row (no fall, no growing step) a leak's growth streak tolerates (`leak_flat_checks`),
    /// so a leak slower than the collect interval keeps its streak. Default 3.
    public var leakFlatChecks: Int
    /// A worker's count must be at least this many connections when its growth streak starts
    /// (`leak_min_connections`), so that 1 → 2 → 3 is not a "100 % leak". Default 5.
    public var leakMinConnections: Int
    /// A connection reported in a transaction or query for at least this long raises `long-running`
    /// (`long_running`). Default 5 min.
    public var longRunning: Duration

    public init(
        highUsage: Double = 0.80,
        highUsageChecks: Int = 2,
        exhaustion: Double = 0.95,
        leakGrowth: Double = 0.10,
        leakChecks: Int = 3,
        leakFlatChecks: Int = 3,
        leakMinConnections: Int = 5,
        longRunning: Duration = .seconds(300)
    ) {
        self.highUsage = highUsage
        self.highUsageChecks = highUsageChecks
        self.exhaustion = exhaustion
        self.leakGrowth = leakGrowth
        self.leakChecks = leakChecks
        self.leakFlatChecks = leakFlatChecks
        self.leakMinConnections = leakMinConnections
        self.longRunning = longRunning
    }

    /// `longRunning` in seconds.
    public var longRunningSeconds: Double {
        let (seconds, attoseconds) = longRunning.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
