public import WardenCore

/// One element of `GET /v1/processes` and of `warden status --json`.
///
/// JSON keys are snake_case (`rss_bytes`, `uptime_seconds`); sizes are bytes, durations seconds,
/// growth rates MiB/min (`rss_growth_mb_per_min`: the key predates the MiB label, the value is MiB) or count per minute. `nil` encodes as JSON `null`.
public struct ProcessStatus: Codable, Sendable, Equatable {
    /// Instance name: the program name, or `program:index` when `numprocs > 1`.
    public var name: String
    /// Program (the `[programs.X]` table) this instance belongs to.
    public var program: String
    /// supervisord state name.
    public var state: ProcessState
    /// Main pid, `nil` when no process exists.
    public var pid: Int32?
    /// RFC 3339 time the current process was spawned, `nil` when not running.
    public var startedAt: String?
    /// Seconds since `startedAt`, `nil` when not running.
    public var uptimeSeconds: Double?
    /// Restarts of this instance since Warden started (any reason, manual ones included).
    public var restarts: Int
    /// How the last process of this instance ended, e.g. `"exit status 1"`, `nil` if none ended yet.
    public var lastExitStatus: String?
    /// Reason of the last restart (`exit`, `memory-growth`, `rss-max`, ...), `nil` if never restarted.
    public var lastRestartReason: String?
    /// The last restart's cause in words: how the process ended (`exit status 1`, `killed by signal 9
    /// (SIGKILL)`), the verdict with its figure (`memory-growth 31.2 MiB/min`), or the reason (`manual`);
    /// `nil` if never restarted.
    public var lastRestartCause: String?
    /// Why the last spawn failed (`cannot find executable "./app" (no executable file at /srv/app/app)`,
    /// `directory /srv/app does not exist`), until a process is spawned again; `nil` otherwise.
    public var spawnError: String?
    /// Resident set size of the main process, bytes (from /proc/PID/statm).
    public var rssBytes: UInt64?
    /// Sum of RSS over the main process and all its descendants, bytes.
    public var treeRSSBytes: UInt64?
    /// Thread count of the main process (/proc/PID/stat num_threads).
    public var threads: Int?
    /// Open file descriptors of the main process (entries in /proc/PID/fd).
    public var fds: Int?
    /// Number of processes in the tree, main process included.
    public var treeProcesses: Int?
    /// CPU use of the tree over the last sample interval, percent of one core.
    public var cpuPercent: Double?
    /// Growth verdict of the leak detector.
    public var leak: LeakStatus
    /// Human description of the state, e.g. `"next attempt in 2.0s"`, `"exited: exit status 1"`.
    public var description: String?
    /// The last `STATUS=` the process sent on `NOTIFY_SOCKET` (sd_notify(3)), `nil` if none.
    public var statusText: String?
    /// The last `ERRNO=` the process sent on `NOTIFY_SOCKET`, `nil` if none.
    public var notifyErrno: Int32?
    /// The processes the last stop of this instance ended (its whole tree, main process first), `nil` if
    /// it was never stopped by Warden.
    public var lastStopPIDs: [Int32]?
    /// The open `restart-loop` alert of this process (the `LOOP` flag of `warden status`), `null` when none.
    public var restartLoop: RestartLoopStatus?
    /// The program's `cleanup_signal` (`SIGUSR1`), `nil` when none is set: the signal an operator sends to
    /// force a cleanup.
    public var cleanupSignal: String?
    /// The soonest forecast while growth is graded and before any restart: memory towards `rss_max` or
    /// the host's memory, or a suspected connection leak towards its pool's exhaustion; `null` when none.
    public var forecast: ForecastStatus?

    public init(
        name: String, program: String, state: ProcessState, pid: Int32?, startedAt: String?,
        uptimeSeconds: Double?, restarts: Int, lastExitStatus: String?, lastRestartReason: String?,
        rssBytes: UInt64?, treeRSSBytes: UInt64?, threads: Int?, fds: Int?, treeProcesses: Int?,
        cpuPercent: Double?, leak: LeakStatus, description: String?, statusText: String? = nil,
        notifyErrno: Int32? = nil, lastStopPIDs: [Int32]? = nil, lastRestartCause: String? = nil, spawnError: String? = nil,
        restartLoop: RestartLoopStatus? = nil, cleanupSignal: String? = nil
    ) {
        self.cleanupSignal = cleanupSignal
        self.lastRestartCause = lastRestartCause; self.spawnError = spawnError; self.restartLoop = restartLoop
        self.name = name; self.program = program; self.state = state; self.pid = pid
        self.startedAt = startedAt; self.uptimeSeconds = uptimeSeconds; self.restarts = restarts
        self.lastExitStatus = lastExitStatus; self.lastRestartReason = lastRestartReason
        self.rssBytes = rssBytes; self.treeRSSBytes = treeRSSBytes; self.threads = threads; self.fds = fds
        self.treeProcesses = treeProcesses; self.cpuPercent = cpuPercent; self.leak = leak
        self.description = description
        self.statusText = statusText; self.notifyErrno = notifyErrno; self.lastStopPIDs = lastStopPIDs
    }

    /// The REASON column's text for a process that is up: the last restart's cause, else its reason.
    public var restartCauseText: String? { lastRestartCause ?? lastRestartReason }

    enum CodingKeys: String, CodingKey {
        case name, program, state, pid, threads, fds, restarts, leak, description
        case startedAt = "started_at", uptimeSeconds = "uptime_seconds"
        case lastExitStatus = "last_exit_status", lastRestartReason = "last_restart_reason"
        case rssBytes = "rss_bytes", treeRSSBytes = "tree_rss_bytes", treeProcesses = "tree_processes"
        case cpuPercent = "cpu_percent", statusText = "status_text", notifyErrno = "notify_errno"
        case lastStopPIDs = "last_stop_pids"
        case lastRestartCause = "last_restart_cause", spawnError = "spawn_error", restartLoop = "restart_loop"
        case cleanupSignal = "cleanup_signal", forecast
    }

    public func encode(to encoder: any Encoder) throws {
        // Explicit so that nil values are written as `null` rather than omitted (the API promises keys).
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name); try c.encode(program, forKey: .program)
        try c.encode(state, forKey: .state); try c.encode(pid, forKey: .pid)
        try c.encode(startedAt, forKey: .startedAt); try c.encode(uptimeSeconds, forKey: .uptimeSeconds)
        try c.encode(restarts, forKey: .restarts); try c.encode(lastExitStatus, forKey: .lastExitStatus)
        try c.encode(lastRestartReason, forKey: .lastRestartReason); try c.encode(rssBytes, forKey: .rssBytes)
        try c.encode(treeRSSBytes, forKey: .treeRSSBytes); try c.encode(threads, forKey: .threads)
        try c.encode(fds, forKey: .fds); try c.encode(treeProcesses, forKey: .treeProcesses)
        try c.encode(cpuPercent, forKey: .cpuPercent); try c.encode(leak, forKey: .leak)
        try c.encode(description, forKey: .description)
        try c.encode(statusText, forKey: .statusText); try c.encode(notifyErrno, forKey: .notifyErrno)
        try c.encode(lastStopPIDs, forKey: .lastStopPIDs)
        try c.encode(lastRestartCause, forKey: .lastRestartCause); try c.encode(spawnError, forKey: .spawnError)
        try c.encode(restartLoop, forKey: .restartLoop)
        try c.encode(cleanupSignal, forKey: .cleanupSignal)
        try c.encode(forecast, forKey: .forecast)
    }
}

/// `forecast` of a process's status: `{"summary": "pool exhausted in ~14 s at +3.1 conn/s", "seconds": 13.6,
/// "limit": "pool", "pool": "postgresql://db:5432/app", "rate": 3.1, "rate_unit": "conn/s"}`.
public struct ForecastStatus: Codable, Sendable, Equatable {
    /// The forecast in words (`GrowthForecast.summary`).
    public var summary: String
    /// Seconds until the limit at the current rate.
    public var seconds: Double
    /// `rss_max`, `host memory` or `pool`.
    public var limit: String
    /// The pool (redacted identity), for `limit = "pool"`.
    public var pool: String?
    /// The rate extrapolated, in `rateUnit` (`MiB/min` or `conn/s`).
    public var rate: Double
    public var rateUnit: String

    public init(_ forecast: GrowthForecast) {
        summary = forecast.summary
        seconds = (forecast.seconds * 10).rounded() / 10
        switch forecast {
        case .memory(let memory):
            limit = memory.limit.rawValue; pool = nil; rate = memory.rateMBPerMinute; rateUnit = "MiB/min"
        case .pool(let name, let connections):
            limit = "pool"; pool = name; rate = connections.connectionsPerSecond; rateUnit = "conn/s"
        }
        rate = (rate * 100).rounded() / 100
    }

    enum CodingKeys: String, CodingKey {
        case summary, seconds, limit, pool, rate
        case rateUnit = "rate_unit"
    }
}

/// A process's restart loop as `status` shows it: `{"reason": "exit", "restarts": 7, "since": "2026-…Z"}`.
public struct RestartLoopStatus: Codable, Sendable, Equatable {
    /// The restart reason that loops (`exit`, `memory-growth`, …).
    public var reason: String
    /// Restarts for it counted by the open alert.
    public var restarts: Int
    /// RFC 3339 UTC time the loop was detected.
    public var since: String

    public init(reason: String, restarts: Int, since: String) {
        self.reason = reason; self.restarts = restarts; self.since = since
    }
}

/// The leak detector's view of one process, as shown in status.
public struct LeakStatus: Codable, Sendable, Equatable {
    /// `none|low|medium|high|critical`, or `warming-up` before the window has enough samples.
    public var severity: String
    /// `severity` is provisional: a third of the window sampled, not yet the two thirds a final grade (the
    /// only kind that restarts) needs.
    public var provisional: Bool
    /// While warming up: seconds until the first (provisional) grade; `nil` once graded or without a process.
    public var firstGradeInSeconds: Double?
    /// Until the grade is final: seconds until it is; `nil` once final or without a process.
    public var finalGradeInSeconds: Double?
    /// Slope of RSS over the window, MiB/min; `nil` while warming up.
    public var rssGrowthMBPerMin: Double?
    /// Slope of the open-fd count, fds per minute; `nil` while warming up.
    public var fdGrowthPerMin: Double?
    /// Slope of the thread count, threads per minute; `nil` while warming up.
    public var threadGrowthPerMin: Double?
    /// Samples currently in the window.
    public var samples: Int

    public init(severity: String, provisional: Bool = false, firstGradeInSeconds: Double? = nil,
                finalGradeInSeconds: Double? = nil, rssGrowthMBPerMin: Double?, fdGrowthPerMin: Double?,
                threadGrowthPerMin: Double?, samples: Int) {
        self.severity = severity; self.provisional = provisional
        self.firstGradeInSeconds = firstGradeInSeconds; self.finalGradeInSeconds = finalGradeInSeconds
        self.rssGrowthMBPerMin = rssGrowthMBPerMin
        self.fdGrowthPerMin = fdGrowthPerMin; self.threadGrowthPerMin = threadGrowthPerMin; self.samples = samples
    }

    enum CodingKeys: String, CodingKey {
        case severity, samples, provisional
        case firstGradeInSeconds = "first_grade_in_seconds", finalGradeInSeconds = "final_grade_in_seconds"
        case rssGrowthMBPerMin = "rss_growth_mb_per_min", fdGrowthPerMin = "fd_growth_per_min"
        case threadGrowthPerMin = "thread_growth_per_min"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        severity = try c.decode(String.self, forKey: .severity)
        samples = try c.decode(Int.self, forKey: .samples)
        provisional = try c.decodeIfPresent(Bool.self, forKey: .provisional) ?? false
        firstGradeInSeconds = try c.decodeIfPresent(Double.self, forKey: .firstGradeInSeconds)
        finalGradeInSeconds = try c.decodeIfPresent(Double.self, forKey: .finalGradeInSeconds)
        rssGrowthMBPerMin = try c.decodeIfPresent(Double.self, forKey: .rssGrowthMBPerMin)
        fdGrowthPerMin = try c.decodeIfPresent(Double.self, forKey: .fdGrowthPerMin)
        threadGrowthPerMin = try c.decodeIfPresent(Double.self, forKey: .threadGrowthPerMin)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(severity, forKey: .severity); try c.encode(samples, forKey: .samples)
        try c.encode(provisional, forKey: .provisional)
        try c.encode(firstGradeInSeconds, forKey: .firstGradeInSeconds)
        try c.encode(finalGradeInSeconds, forKey: .finalGradeInSeconds)
        try c.encode(rssGrowthMBPerMin, forKey: .rssGrowthMBPerMin)
        try c.encode(fdGrowthPerMin, forKey: .fdGrowthPerMin)
        try c.encode(threadGrowthPerMin, forKey: .threadGrowthPerMin)
    }
}

/// Body of `GET /v1/processes`: `{"processes": [...]}`.
public struct ProcessList: Codable, Sendable, Equatable {
    public var processes: [ProcessStatus]
    public init(processes: [ProcessStatus]) { self.processes = processes }
}
