/// The delay before the next start attempt after a failed start: `initial`, doubled for each further
/// failure in a row, capped at `maximum` (`backoff` and `backoff_max` in the config).
///
/// supervisord grows its delay linearly (1 s, 2 s, 3 s...); doubling reaches a sensible cap sooner and
/// is what systemd users expect from `RestartSteps=`/`RestartMaxDelaySec=`.
public struct Backoff: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration

    public init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = max(initial, maximum)
    }

    /// The delay after `failures` failed starts in a row (1 = first failure → `initial`).
    /// - Parameter failures: 1 or more; values below 1 are treated as 1.
    public func delay(afterFailures failures: Int) -> Duration {
        var delay = initial
        var remaining = max(1, failures) - 1
        while remaining > 0, delay < maximum {
            delay = delay * 2
            remaining -= 1
        }
        return min(delay, maximum)
    }
}
