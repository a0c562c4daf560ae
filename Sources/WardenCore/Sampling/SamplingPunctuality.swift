/// Whether sampling rounds start when they are due, for `/v1/health`'s `sampling` and
/// `warden_sampling_rounds_late_total`. A round is due one `sample_interval` after the previous one was
/// (or, when that one started behind, after the previous one ended); it is *late* when it started more than
/// one `sample_interval` after it was due — a whole sample missing, as when Warden was starved of CPU or
/// stopped. Pure: monotonic times are passed in.
public struct SamplingPunctuality: Sendable, Equatable {
    /// Rounds that started late.
    public private(set) var lateRounds = 0
    /// The longest time a round started after it was due, late or not, seconds.
    public private(set) var maxLateSeconds = 0.0

    public init() {}

    /// Whether a round due at `due` that started at `started` is late: more than `interval` after `due`.
    public static func isLate(due: Duration, started: Duration, interval: Duration) -> Bool {
        started - due > interval
    }

    /// Counts one round due at `due` that started at `started`; returns whether it was late.
    public mutating func round(due: Duration, started: Duration, interval: Duration) -> Bool {
        maxLateSeconds = max(maxLateSeconds, (started - due).seconds)
        guard Self.isLate(due: due, started: started, interval: interval) else { return false }
        lateRounds += 1
        return true
    }
}
