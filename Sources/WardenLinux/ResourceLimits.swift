import CWarden
import Glibc

/// Warden's own resource limits (getrlimit(2)/setrlimit(2)).
public enum ResourceLimits {
    /// A soft and a hard limit. `RLIM_INFINITY` is `UInt64.max`.
    public struct Limit: Sendable, Equatable {
        /// The limit the kernel enforces now (for RLIMIT_NOFILE: one more than the highest fd that may
        /// be opened).
        public var soft: UInt64
        /// The ceiling an unprivileged process may raise `soft` to.
        public var hard: UInt64

        /// Creates a limit pair.
        public init(soft: UInt64, hard: UInt64) {
            self.soft = soft
            self.hard = hard
        }
    }

    /// The current RLIMIT_NOFILE (open file descriptors).
    /// - Throws: `SystemCallError` for `getrlimit` (never expected on Linux).
    public static func openFileLimit() throws(SystemCallError) -> Limit {
        var value = rlimit()
        guard getrlimit(resourceNoFile, &value) == 0 else { throw SystemCallError.last("getrlimit RLIMIT_NOFILE") }
        return Limit(soft: UInt64(value.rlim_cur), hard: UInt64(value.rlim_max))
    }

    /// The RLIMIT_NOFILE of another process (prlimit(2)), or `nil` when it cannot be read (the process is
    /// gone, or belongs to another user and Warden is not privileged).
    public static func openFileLimit(of pid: Int32) -> Limit? {
        var soft: UInt64 = 0, hard: UInt64 = 0
        guard cw_prlimit_nofile(pid, &soft, &hard) == 0 else { return nil }
        return Limit(soft: soft, hard: hard)
    }

    /// Raises the soft RLIMIT_NOFILE to the hard limit when it is below `minimum`, and leaves it alone
    /// otherwise.
    ///
    /// Warden holds several descriptors per worker: two pipe read ends, a pidfd, the log files that have
    /// output, and three `ProcessHandle` descriptors per sampled process — 500 workers need about 4,000,
    /// far above the soft limit of 1024 that systemd gives services by default (its hard limit is 524288).
    ///
    /// Workers inherit Warden's limits (posix_spawn(3) cannot set rlimits in the child, and lowering the limit
    /// with prlimit(2) after the spawn would race with the program's own start). So the limit is raised only
    /// when Warden needs more than it was given: when the soft limit is already at least `minimum`, workers
    /// get exactly the limits Warden was started with. When it is raised, every worker also starts with the
    /// raised soft limit — as services under systemd with `LimitNOFILE=N` do. A program that relies on
    /// select(2) (limited to fds below 1024) and opens that many descriptors should lower its own soft limit.
    ///
    /// A hard limit of RLIM_INFINITY is treated as 1,048,576 (the kernel's default `fs.nr_open`, which caps
    /// RLIMIT_NOFILE).
    /// - Parameter minimum: the soft limit Warden needs, in descriptors; the default raises in every case.
    /// - Returns: the limits before and after (equal when nothing was changed).
    /// - Throws: `SystemCallError` for `getrlimit` or `setrlimit` (EPERM if the hard limit is above
    ///   `fs.nr_open`).
    @discardableResult
    public static func raiseOpenFileLimit(ifBelow minimum: UInt64 = .max) throws(SystemCallError)
        -> (before: Limit, after: Limit)
    {
        let before = try openFileLimit()
        let target = before.hard == UInt64.max ? 1 << 20 : before.hard  // RLIM_INFINITY is ~0
        guard before.soft < minimum, before.soft < target else { return (before, before) }
        var value = rlimit(rlim_cur: rlim_t(target), rlim_max: rlim_t(before.hard))
        guard setrlimit(resourceNoFile, &value) == 0 else { throw SystemCallError.last("setrlimit RLIMIT_NOFILE") }
        return (before, Limit(soft: target, hard: before.hard))
    }

    private static var resourceNoFile: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
}
