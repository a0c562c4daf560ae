/// One resource sample of one process, as read from /proc (proc(5)) by `ProcReader.sample(pid:)`.
///
/// `(pid, startTime)` identifies the process: a sample whose `startTime` differs from the one recorded at
/// spawn belongs to a different process that reused the pid.
public struct ProcessSample: Sendable, Equatable {
    /// The process id.
    public var pid: Int32
    /// The parent's pid; Warden's own pid for a worker, or for an orphan reparented to Warden (subreaper).
    public var ppid: Int32
    /// The process group id (equal to `pid` for a worker spawned by Warden in its own session).
    public var pgid: Int32
    /// Start time after boot, in clock ticks (`sysconf(_SC_CLK_TCK)`).
    public var startTime: UInt64
    /// Resident set size, in bytes (statm's resident pages × page size).
    public var rssBytes: UInt64
    /// Number of threads (at least 1 for a live process).
    public var threads: Int
    /// Number of open file descriptors, or nil when `/proc/PID/fd` could not be read (EACCES: another
    /// user's or a non-dumpable process).
    public var fds: Int?
    /// CPU time used so far, user + system, in clock ticks (children excluded).
    public var cpuTicks: UInt64

    /// Creates a sample from its fields, in the units documented on each property.
    public init(
        pid: Int32, ppid: Int32, pgid: Int32, startTime: UInt64, rssBytes: UInt64, threads: Int, fds: Int?,
        cpuTicks: UInt64
    ) {
        self.pid = pid
        self.ppid = ppid
        self.pgid = pgid
        self.startTime = startTime
        self.rssBytes = rssBytes
        self.threads = threads
        self.fds = fds
        self.cpuTicks = cpuTicks
    }

    /// Builds a sample from a parsed stat line, the resident pages from statm, the page size in bytes and
    /// an fd count.
    public init(stat: ProcStat, residentPages: UInt64, pageSize: Int, fds: Int?) {
        self.init(
            pid: stat.pid, ppid: stat.ppid, pgid: stat.pgrp, startTime: stat.startTime,
            rssBytes: residentPages &* UInt64(pageSize), threads: stat.numThreads, fds: fds,
            cpuTicks: stat.utime &+ stat.stime)
    }
}
