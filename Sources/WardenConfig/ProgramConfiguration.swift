public import WardenCore

/// One supervised program: a `[programs.NAME]` table. It runs as `numprocs` identical instances.
///
/// All durations are `Duration`s already parsed from the config's strings; defaults follow supervisord
/// where it has the same setting.
public struct ProgramConfiguration: Sendable, Equatable {
    /// The NAME of `[programs.NAME]`: letters, digits, `_`, `.` and `-`.
    public var name: String
    /// argv of the program, non-empty; `command[0]` is looked up in `PATH` by the spawner. No shell.
    public var command: [String]
    /// Working directory (`directory`), absolute (a relative one is resolved against the config file's
    /// directory); `nil` means Warden's own working directory.
    public var directory: String?
    /// Variables added to Warden's environment for this program (`environment`).
    public var environment: [String: String]
    /// Number of instances, 1...1000. Default 1.
    public var numprocs: Int
    /// Whether the program starts when Warden starts. Default `true`.
    public var autostart: Bool
    /// What to do when a RUNNING process exits (`restart`). Default `.onFailure`.
    public var restart: RestartPolicy
    /// How long a process must stay up to count as started (`start_seconds`). Default 1 s.
    public var startSeconds: Duration
    /// Failed starts in a row allowed before FATAL (`start_retries`), >= 0; zero means no retry. Default 3.
    public var startRetries: Int
    /// First delay before retrying a failed start (`backoff`). Default 1 s.
    public var backoff: Duration
    /// Ceiling of the growing backoff delay (`backoff_max`), >= `backoff`. Default 30 s.
    public var backoffMax: Duration
    /// Signal sent to the process group to stop it (`stop_signal`). Default `TERM`.
    public var stopSignal: SignalName
    /// Time allowed after `stopSignal` before the whole tree is killed (`stop_timeout`). Default 10 s.
    public var stopTimeout: Duration
    /// The `[programs.NAME.leak]` table, defaults applied.
    public var leak: LeakSettings
    /// How a start is judged successful (`ready`): `"started"` (after `start_seconds`, the default) or
    /// `"notify"` (after `READY=1` on the notify socket).
    public var ready: ReadinessMode
    /// Whose notify messages count (`notify_access`). Default `"main"`.
    public var notifyAccess: NotifyAccess
    /// With `ready = "notify"`: how long to wait for `READY=1` before the start fails (`start_timeout`).
    /// Default 90 s (systemd's `DefaultTimeoutStartSec`).
    public var startTimeout: Duration
    /// Watchdog period (`watchdog`): the process gets `WATCHDOG_USEC`/`WATCHDOG_PID` and must send
    /// `WATCHDOG=1` at least this often once RUNNING, or it is restarted (reason `watchdog`). `nil` = off.
    public var watchdog: Duration?
    /// Starts within `startLimitInterval` after which a restart that follows an exit waits in BACKOFF
    /// (`start_limit_burst`, systemd's `StartLimitBurst=`), >= 0; 0 never throttles. Default 5.
    public var startLimitBurst: Int
    /// The window of `startLimitBurst` (`start_limit_interval`, systemd's `StartLimitIntervalSec=`), > 0.
    /// Default 10 s.
    public var startLimitInterval: Duration
    /// Set for the program Warden synthesises to run a collector plugin (`collector:NAME`); `nil` for
    /// `[programs.X]` tables. Part of equality, so a changed collector restarts its plugin on reload.
    public var collector: CollectorConfiguration?
    /// Whether each line of the captured stdout/stderr gets an RFC 3339 timestamp prefix
    /// (`log_timestamps`). Default true; off for programs that stamp their own lines.
    public var logTimestamps: Bool = true
    /// Restart-loop detection (`loop_restarts`, `loop_window`, `alert_quiet`, `on_loop`). Default: 5 restarts
    /// for one reason within 10 min raise a `restart-loop` alert, resolved after 10 min without one; keep
    /// restarting.
    public var restartLoop = RestartLoopPolicy()

    public init(
        name: String,
        command: [String],
        directory: String? = nil,
        environment: [String: String] = [:],
        numprocs: Int = 1,
        autostart: Bool = true,
        restart: RestartPolicy = .onFailure,
        startSeconds: Duration = .seconds(1),
        startRetries: Int = 3,
        backoff: Duration = .seconds(1),
        backoffMax: Duration = .seconds(30),
        stopSignal: SignalName = .term,
        stopTimeout: Duration = .seconds(10),
        leak: LeakSettings = LeakSettings(),
        ready: ReadinessMode = .started,
        notifyAccess: NotifyAccess = .main,
        startTimeout: Duration = .seconds(90),
        watchdog: Duration? = nil,
        startLimitBurst: Int = 5,
        startLimitInterval: Duration = .seconds(10)
    ) {
        self.name = name
        self.command = command
        self.directory = directory
        self.environment = environment
        self.numprocs = numprocs
        self.autostart = autostart
        self.restart = restart
        self.startSeconds = startSeconds
        self.startRetries = startRetries
        self.backoff = backoff
        self.backoffMax = backoffMax
        self.stopSignal = stopSignal
        self.stopTimeout = stopTimeout
        self.leak = leak
        self.ready = ready
        self.notifyAccess = notifyAccess
        self.startTimeout = startTimeout
        self.watchdog = watchdog
        self.startLimitBurst = startLimitBurst
        self.startLimitInterval = startLimitInterval
    }

    /// Names of the instances: `["api"]` when `numprocs` is 1, else `["api:0", "api:1", ...]`.
    public var instanceNames: [String] {
        numprocs == 1 ? [name] : (0..<max(numprocs, 0)).map { "\(name):\($0)" }
    }
}
