/// One alert about a process: a restart loop (`restart-loop`) or a leak verdict (`leak`), open from
/// `startedAt` until it resolves at `resolvedAt`.
///
/// De-duplicated by `key` (kind, process, reason): a condition that recurs while its alert is open raises
/// `occurrences` on the same alert instead of opening another. Times are seconds since the Unix epoch
/// (wall clock, UTC), as passed to `ProcessAlertTracker`.
public struct ProcessAlert: Sendable, Equatable {
    /// What makes two alerts "the same condition".
    public struct Key: Sendable, Hashable {
        public var kind: AlertKind
        public var process: String
        public var reason: TransitionReason

        public init(kind: AlertKind, process: String, reason: TransitionReason) {
            self.kind = kind; self.process = process; self.reason = reason
        }
    }

    public var kind: AlertKind
    public var severity: AlertSeverity
    /// Instance name (`api:0`).
    public var process: String
    /// Its program (`[programs.NAME]`).
    public var program: String
    /// `restart-loop`: the restart reason that loops (`exit`, `memory-growth`, …); `leak`: the verdict
    /// (`memory-growth`, `rss-max`, `fds-max`, `threads-max`).
    public var reason: TransitionReason
    /// Seconds since the Unix epoch when the alert opened.
    public var startedAt: Double
    /// When the condition was last seen (a restart of the loop, a verdict, a sample that still holds it).
    public var lastSeenAt: Double
    /// Seconds since the Unix epoch when it resolved; `nil` while open.
    public var resolvedAt: Double?
    /// `restart-loop`: restarts for `reason` counted (within the window when it opened, every one since);
    /// `leak`: verdicts (a leak restarted after each restart counts each time).
    public var occurrences: Int
    /// Human description with the figures (count and window, rate and RSS); refreshed while open.
    public var message: String
    /// `leak`: the detector's figures at the last verdict or sample (rate, window, RSS).
    public var evidence: WardenEvent.Evidence?
    /// Seconds without a new occurrence after which the alert resolves; `nil` for a condition that resolves
    /// when it stops holding (a leak only reported, `on_critical = "alert"`).
    public var quietSeconds: Double?

    public init(kind: AlertKind, severity: AlertSeverity, process: String, program: String, reason: TransitionReason,
                startedAt: Double, occurrences: Int, message: String, evidence: WardenEvent.Evidence? = nil,
                quietSeconds: Double?) {
        self.kind = kind; self.severity = severity; self.process = process; self.program = program
        self.reason = reason; self.startedAt = startedAt; self.lastSeenAt = startedAt; self.occurrences = occurrences
        self.message = message; self.evidence = evidence; self.quietSeconds = quietSeconds
    }

    public var key: Key { Key(kind: kind, process: process, reason: reason) }

    /// `true` while `resolvedAt` is `nil`.
    public var isOpen: Bool { resolvedAt == nil }

    /// The `process-alert` (open) or `process-alert-resolved` record of this alert; `time` is its
    /// `started_at` or `resolved_at`.
    public var record: WardenEvent {
        var record = WardenEvent(
            time: RFC3339Text.string(secondsSinceEpoch: resolvedAt ?? startedAt), process: process, program: program,
            event: isOpen ? .processAlert : .processAlertResolved, reason: kind, severity: severity,
            evidence: evidence, message: message)
        record.alertReason = reason.rawValue
        record.occurrences = occurrences
        return record
    }
}

/// The restart-loop settings of one program (`loop_restarts`, `loop_window`, `alert_quiet`, `on_loop`).
public struct RestartLoopPolicy: Sendable, Equatable {
    /// Restarts for one reason within `windowSeconds` that make a loop; 0 turns detection off. Default 5.
    public var restarts: Int
    /// The window, seconds. Default 600 (10 min).
    public var windowSeconds: Double
    /// Seconds without another such restart after which the alert resolves (also a restarted leak's alert).
    /// Default: the window.
    public var quietSeconds: Double
    /// `on_loop = "stop"`: stop the program when a loop is detected, instead of restarting it on.
    public var stopOnLoop: Bool

    public init(restarts: Int = 5, windowSeconds: Double = 600, quietSeconds: Double? = nil, stopOnLoop: Bool = false) {
        self.restarts = max(0, restarts); self.windowSeconds = windowSeconds
        self.quietSeconds = quietSeconds ?? windowSeconds; self.stopOnLoop = stopOnLoop
    }
}
