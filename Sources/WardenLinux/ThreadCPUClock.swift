import Glibc

/// The CPU time consumed so far by the calling thread (user + system), from
/// `clock_gettime(CLOCK_THREAD_CPUTIME_ID)` (clock_gettime(2)).
///
/// The difference of two readings measures the cost of the code between them only if it ran on one thread
/// without suspending: synchronous code, never across an `await` (a Swift task may resume on another
/// thread of the pool).
public enum ThreadCPUClock {
    /// CPU time of the calling thread since it started; `.zero` if the clock cannot be read (it always can on
    /// Linux).
    public static func now() -> Duration {
        var time = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return .zero }
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }
}
