/// A forecast shown before any verdict acts: where a process's memory growth or a worker's connection
/// growth leads, and when. The words come from `MemoryForecast.summary` and `ConnectionLeakForecast.summary`
/// (times through `DurationText.approximate`), so status, the API and events read alike.
public enum GrowthForecast: Sendable, Equatable {
    /// The tree's RSS reaches `rss_max` or the host's memory.
    case memory(MemoryForecast)
    /// The worker's connections take `pool` (redacted identity) to its `exhaustion` threshold.
    case pool(String, ConnectionLeakForecast)

    /// Seconds until the limit, at the current rate (0 when already there).
    public var seconds: Double {
        switch self {
        case .memory(let forecast): forecast.seconds
        case .pool(_, let forecast): forecast.secondsToExhaustion
        }
    }

    /// "rss_max in ~2 min at +31.2 MiB/min", "pool exhausted in ~14 s at +3.1 conn/s".
    public var summary: String {
        switch self {
        case .memory(let forecast): forecast.summary
        case .pool(_, let forecast): forecast.summary
        }
    }

    /// The soonest of `forecasts`, or `nil` when there is none.
    public static func soonest(_ forecasts: [GrowthForecast]) -> GrowthForecast? {
        forecasts.min { $0.seconds < $1.seconds }
    }
}
