import WardenCore
import WardenConfig
import WardenLinux

/// One supervised process instance (`api` or `api:0`) and everything the supervisor knows about it.
///
/// Owned by the `Supervisor` actor and never shared outside it (it is a class only so that the actor
/// can mutate it in place through dictionaries without copying the detector's window).
final class Instance {
    let name: String
    let index: Int
    var program: ProgramConfiguration
    var machine: ProcessStateMachine
    var detector: LeakDetector

    /// Main pid while a process exists.
    var pid: Int32?
    /// pidfd of the main process: signals go through it so a reused pid is never signalled.
    var pidfd: PIDFD?
    /// `starttime` (clock ticks since boot, /proc/PID/stat field 22) of the main process, to tell a
    /// reused pid from ours.
    var startTicks: UInt64?
    var startedAt: WallClockTime?
    var startedAtMonotonic: Duration?
    var restarts = 0
    /// How many times this instance left STOPPING (a stop request waits for this to move, so a start
    /// that arrives mid-stop cannot leave the stop request waiting forever).
    var stopsCompleted = 0
    var spawns = 0
    var lastExit: TerminationStatus?
    var lastRestartReason: String?
    /// Set while a leak/limit restart of this instance is in progress (one per program at a time).
    var leakRestartInProgress = false
    /// Set once an `on_critical = "alert"` alert was recorded, until the severity drops.
    var alerted = false
    /// Set once `cleanup_signal` was sent to the current process.
    var cleanupSent = false
    var lastSeverity: String = "warming-up"

    // systemd notify protocol (see Supervisor+Notify.swift)
    /// Last `STATUS=` text of the current process, cleared at spawn.
    var statusText: String?
    /// Last `ERRNO=` of the current process, cleared at spawn.
    var notifyErrno: Int32?
    /// Session id of the current process tree: the pid spawned by Warden (a session leader via setsid),
    /// kept when `MAINPID=` moves the main pid.
    var sessionID: Int32?
    /// Monotonic time of the last `WATCHDOG=1`, for the evidence of a watchdog restart.
    var lastWatchdogPing: Duration?
    /// Set when the process sent `WATCHDOG=trigger`, so the restart is recorded as triggered, not missed.
    var watchdogTriggered = false
    /// Why the instance last entered BACKOFF (the restart reason shown once the backoff elapses).
    var backoffReason: String?
    /// A `MAINPID=` naming a child of the current main process, applied when that main process exits
    /// and the child is reparented to Warden (the classic fork-and-exit daemon), pid → starttime.
    var pendingMainPID: (pid: Int32, startTime: UInt64)?
    /// The last `MAINPID=` refusal recorded (value and reason), so a loop of them is one event.
    var lastMainPIDRefusal: String?
    /// Whether this instance has left STARTING at least once since Warden started (for READY=1).
    var leftStarting = false

    /// For a collector plugin instance (`collector:NAME`): the conversation with its current process.
    var plugin: PluginLink?
    /// The conversation with a plugin process that exited, kept until its stdout reaches EOF so that an
    /// `error` line written just before exiting (e.g. a refused configuration) is not lost.
    var exitedPlugin: PluginLink?
    /// Set while a connection-leak restart of this worker is in progress.
    var connectionLeakRestartInProgress = false

    /// Latest sample of the main process and of the whole tree.
    var mainSample: ProcessSample?
    var tree = TreeTotals()
    var cpuPercent: Double?
    var verdict: LeakVerdict?
    /// Every process seen in this instance's tree at the last sample, pid → starttime.
    var knownTree: [Int32: UInt64] = [:]
    /// During STOPPING: the processes that must be gone before the stop completes, pid → starttime.
    var stopMembers: [Int32: UInt64] = [:]
    /// Timer task for the state machine's deadline.
    var timer: Task<Void, Never>?
    var timerDeadline: Duration?

    init(name: String, index: Int, program: ProgramConfiguration) {
        self.name = name
        self.index = index
        self.program = program
        self.machine = ProcessStateMachine(settings: program.machineSettings)
        self.detector = LeakDetector(configuration: program.leak.detectorConfiguration)
    }
}

/// Totals over a process tree at one sample.
struct TreeTotals: Equatable {
    var rssBytes: UInt64 = 0
    var fds = 0
    var threads = 0
    var cpuTicks: UInt64 = 0
    var processes = 0
}

/// A wall-clock instant, seconds since the Unix epoch (for `started_at` and event times only; every
/// decision uses the monotonic clock).
struct WallClockTime: Equatable {
    var secondsSinceEpoch: Double
}

extension ProgramConfiguration {
    /// The state machine's view of this program's settings.
    var machineSettings: ProcessStateMachine.Settings {
        .init(restart: restart, startSeconds: startSeconds, startRetries: startRetries,
              backoff: Backoff(initial: backoff, maximum: backoffMax), stopSignal: stopSignal.number,
              stopTimeout: stopTimeout, readiness: ready, startTimeout: startTimeout, watchdog: watchdog,
              startLimitBurst: startLimitBurst, startLimitInterval: startLimitInterval)
    }
}

extension LeakSettings {
    /// The detector's view of these settings.
    var detectorConfiguration: LeakDetectorConfiguration {
        LeakDetectorConfiguration(
            window: window, sustain: sustain,
            thresholds: LeakThresholds(low: low, medium: medium, high: high, critical: critical),
            rssMaxBytes: rssMax?.bytes, fdsMax: fdsMax, threadsMax: threadsMax)
    }
}
