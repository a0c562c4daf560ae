/// One record of `STATE_DIR/events.jsonl`: a state transition, a severity change, or a supervisor
/// happening (reload, shutdown), with the evidence that led to it.
///
/// Encoded as one JSON object per line with snake_case keys; absent values are omitted. Times are
/// RFC 3339 in UTC with milliseconds. Sizes are bytes, growth MiB/min, windows seconds.
public struct WardenEvent: Codable, Sendable, Equatable {
    /// The kind of event.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A process changed supervisord state (`old_state` → `new_state`).
        case stateChange = "state-change"
        /// The leak detector's severity changed (`old_severity` → `new_severity`).
        case severityChange = "severity-change"
        /// Warden decided to restart a process for a leak or limit (`reason` says which).
        case leakRestart = "leak-restart"
        /// Critical growth, but `on_critical = "alert"`: recorded, not acted on.
        case leakAlert = "leak-alert"
        /// `cleanup_signal` sent when severity reached high.
        case cleanupSignal = "cleanup-signal"
        /// Leftover processes of a dead worker's tree were killed.
        case orphansKilled = "orphans-killed"
        /// Configuration reloaded (or rejected).
        case reload
        /// A pool alert opened (`reason` = its kind: high-usage, exhaustion, connection-leak,
        /// exhaustion-forecast, long-running, plugin-failure).
        case poolAlert = "pool-alert"
        /// A pool alert's condition cleared.
        case poolAlertResolved = "pool-alert-resolved"
        /// A process alert opened (`reason` = its kind: restart-loop, leak).
        case processAlert = "process-alert"
        /// A process alert resolved (its quiet period passed, or its condition ended).
        case processAlertResolved = "process-alert-resolved"
        /// A collector plugin's conversation: handshake done, protocol mismatch, dropped answers.
        case plugin
        /// A worker's watchdog expired (no `WATCHDOG=1` in time) or it sent `WATCHDOG=trigger`.
        case watchdog
        /// A worker's notify message changed something: `MAINPID=` accepted or refused, `ERRNO=`.
        case notify
        /// Warden started or is shutting down.
        case supervisor
        /// An instance joined the supervised set: at start (`configured`) or by a reload (`added-by-reload`).
        case processAdded = "process-added"
        /// An instance left the supervised set (`removed-by-reload`), once its process tree was gone.
        case processRemoved = "process-removed"
    }

    /// The evidence behind a leak decision, from the detector's window.
    public struct Evidence: Codable, Sendable, Equatable {
        public var rssBytes: UInt64?
        public var treeRSSBytes: UInt64?
        public var rssGrowthMBPerMin: Double?
        public var fds: Int?
        public var fdGrowthPerMin: Double?
        public var threads: Int?
        public var threadGrowthPerMin: Double?
        public var windowSeconds: Double?
        public var samples: Int?
        /// A `memory-pressure` restart: the host's PSI figures at the decision.
        public var memoryPressure: PressureFigures?
        /// While growth is graded: where it leads (`GrowthForecast.summary`) and in how many seconds.
        public var forecast: String?
        public var forecastSeconds: Double?

        public init(rssBytes: UInt64? = nil, treeRSSBytes: UInt64? = nil, rssGrowthMBPerMin: Double? = nil,
                    fds: Int? = nil, fdGrowthPerMin: Double? = nil, threads: Int? = nil,
                    threadGrowthPerMin: Double? = nil, windowSeconds: Double? = nil, samples: Int? = nil,
                    memoryPressure: PressureFigures? = nil) {
            self.rssBytes = rssBytes; self.treeRSSBytes = treeRSSBytes; self.rssGrowthMBPerMin = rssGrowthMBPerMin
            self.fds = fds; self.fdGrowthPerMin = fdGrowthPerMin; self.threads = threads
            self.threadGrowthPerMin = threadGrowthPerMin; self.windowSeconds = windowSeconds; self.samples = samples
            self.memoryPressure = memoryPressure
        }

        /// The evidence of an `exhaustion-forecast` pool alert: only the forecast, seconds to a tenth.
        public init(forecast: ConnectionLeakForecast) {
            self.init()
            self.forecast = forecast.summary
            forecastSeconds = (forecast.secondsToExhaustion * 10).rounded() / 10
        }

        enum CodingKeys: String, CodingKey {
            case fds, threads, samples
            case rssBytes = "rss_bytes", treeRSSBytes = "tree_rss_bytes"
            case rssGrowthMBPerMin = "rss_growth_mb_per_min", fdGrowthPerMin = "fd_growth_per_min"
            case threadGrowthPerMin = "thread_growth_per_min", windowSeconds = "window_seconds"
            case memoryPressure = "memory_pressure", forecast, forecastSeconds = "forecast_seconds"
        }
    }

    /// `/proc/pressure/memory` at a `memory-pressure` restart (percent, microseconds, seconds).
    public struct PressureFigures: Codable, Sendable, Equatable {
        public var fullAvg10: Double
        public var fullAvg60: Double
        public var someAvg10: Double
        public var fullTotalMicroseconds: UInt64
        /// How long `full avg10` had stayed at or above the threshold.
        public var stalledSeconds: Double
        public var thresholdPercent: Double

        public init(fullAvg10: Double, fullAvg60: Double, someAvg10: Double, fullTotalMicroseconds: UInt64,
                    stalledSeconds: Double, thresholdPercent: Double) {
            self.fullAvg10 = fullAvg10; self.fullAvg60 = fullAvg60; self.someAvg10 = someAvg10
            self.fullTotalMicroseconds = fullTotalMicroseconds; self.stalledSeconds = stalledSeconds
            self.thresholdPercent = thresholdPercent
        }

        enum CodingKeys: String, CodingKey {
            case fullAvg10 = "full_avg10", fullAvg60 = "full_avg60", someAvg10 = "some_avg10"
            case fullTotalMicroseconds = "full_total_us", stalledSeconds = "stalled_seconds"
            case thresholdPercent = "threshold_percent"
        }
    }

    /// RFC 3339 UTC time, e.g. `2026-11-30T03:45:12.345Z`.
    public var time: String
    /// Instance name (`api:0`), or `nil` for supervisor-wide events.
    public var process: String?
    /// The program (`[programs.NAME]`) of `process`; `nil` for supervisor-wide events.
    public var program: String?
    public var event: Kind
    public var oldState: ProcessState?
    public var newState: ProcessState?
    public var oldSeverity: String?
    public var newSeverity: String?
    /// Why (kebab-case), from one of the reason vocabularies (`TransitionReason`, `EventReason`,
    /// `AlertKind`); `docs/events.md` lists which kind carries which.
    public var reason: String?
    /// The pid concerned, when one exists.
    public var pid: Int32?
    /// `pool-alert`, `pool-alert-resolved`: the collector (`[collectors.NAME]`) and the pool concerned.
    public var collector: String?
    public var pool: String?
    /// `pool-alert`, `pool-alert-resolved` of a `long-running` alert: the connection's id (its backend pid).
    public var connection: String?
    /// `pool-alert`, `process-alert` and their resolutions: the alert's severity (`AlertSeverity`: `warning`, `critical`).
    public var severity: String?
    /// `process-alert`, `process-alert-resolved`: what the alert is about, a `TransitionReason` (the restart
    /// reason that loops, or the leak verdict).
    public var alertReason: String?
    /// `process-alert`, `process-alert-resolved`, `pool-alert-resolved`: how many times the condition
    /// occurred while the alert was open (restarts of the loop, leak verdicts).
    public var occurrences: Int?
    /// Termination status text for exits, e.g. `exit status 3`.
    public var exitStatus: String?
    /// On a `state-change` to STARTING that restarts a process which ran before: why it is restarted
    /// (`warden status`'s `last_restart_reason`; a `TransitionReason`).
    public var restartReason: String?
    public var evidence: Evidence?
    /// `severity-change`: `true` when `new_severity` is a provisional grade (a third of the leak window
    /// sampled, not yet two thirds; it never restarts anything); absent otherwise.
    public var provisional: Bool?
    /// Free-form detail for humans.
    public var message: String?

    public init(time: String, process: String?, program: String? = nil, event: Kind, oldState: ProcessState? = nil,
                newState: ProcessState? = nil, oldSeverity: String? = nil, newSeverity: String? = nil,
                reason: (any ReasonVocabulary)? = nil, pid: Int32? = nil, exitStatus: String? = nil,
                restartReason: TransitionReason? = nil, collector: String? = nil, pool: String? = nil,
                severity: PoolAlert.Severity? = nil, evidence: Evidence? = nil, provisional: Bool? = nil,
                message: String? = nil) {
        self.provisional = provisional
        self.collector = collector; self.pool = pool; self.severity = severity?.rawValue
        self.time = time; self.process = process; self.program = program; self.event = event
        self.oldState = oldState; self.newState = newState; self.oldSeverity = oldSeverity
        self.newSeverity = newSeverity; self.reason = reason?.rawValue; self.pid = pid; self.exitStatus = exitStatus
        self.restartReason = restartReason?.rawValue; self.evidence = evidence; self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case time, process, program, event, reason, pid, evidence, message, collector, pool, connection, severity, occurrences
        case provisional, alertReason = "alert_reason"
        case oldState = "old_state", newState = "new_state", restartReason = "restart_reason"
        case oldSeverity = "old_severity", newSeverity = "new_severity", exitStatus = "exit_status"
    }
}
