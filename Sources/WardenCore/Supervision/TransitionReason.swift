/// Why a process changed state: the one name table of Warden's transition reasons (systemd-style
/// kebab-case). The raw value is what `events.jsonl`, `warden status` and the API show.
///
/// The reasons that make Warden restart a running process (`memory-growth` … `watchdog`) are also the
/// `last_restart_reason` of `warden status`; `docs/states.md` says which transition records which reason.
public enum TransitionReason: String, Codable, Sendable, CaseIterable, ReasonVocabulary {
    /// No transition yet.
    case initial
    /// Started because the program has `autostart = true`.
    case autostart
    /// An operator asked for a start (`warden start`).
    case startRequested = "start-requested"
    /// An operator asked for a stop (`warden stop`).
    case stopRequested = "stop-requested"
    /// An operator asked for a restart (`warden restart`).
    case manual
    /// The main process exited (from RUNNING, or a restart after such an exit).
    case exit
    /// The process exited before `start_seconds` elapsed: a failed start.
    case exitedBeforeStartSeconds = "exited-before-start-seconds"
    /// With `ready = "notify"`: the process exited before it sent `READY=1`: a failed start.
    case exitedBeforeReady = "exited-before-ready"
    /// `start_seconds` elapsed with the process alive: it is RUNNING.
    case startSecondsElapsed = "start-seconds-elapsed"
    /// The process sent `READY=1` (`ready = "notify"`).
    case readyNotified = "ready-notified"
    /// No `READY=1` within `start_timeout`.
    case startTimeout = "start-timeout"
    /// The spawn failed (fork/exec error, unusable `directory`).
    case spawnFailed = "spawn-failed"
    /// The executable (`command[0]`) was not found.
    case executableNotFound = "executable-not-found"
    /// The program needs the notify socket (`ready = "notify"`, `watchdog`) and Warden has none.
    case notifySocketUnavailable = "notify-socket-unavailable"
    /// The backoff delay after a failed start elapsed: the next attempt.
    case backoffElapsed = "backoff-elapsed"
    /// The restart after an exit was delayed: `start_limit_burst` starts happened within
    /// `start_limit_interval` (systemd's start limit; Warden waits instead of giving up).
    case restartThrottled = "restart-throttled"
    /// More failed starts in a row than `start_retries` allows: Warden gave up (FATAL).
    case startRetriesExhausted = "start-retries-exhausted"
    /// The stop completed: the main process was reaped and no process of its tree is left.
    case stopped
    /// The stop completed after `stop_timeout` escalated to SIGKILL of the tree.
    case stopTimeoutKilled = "stop-timeout-killed"
    /// Inside STOPPING: `stop_timeout` elapsed and SIGKILL went to the whole tree.
    case stopTimeout = "stop-timeout"
    /// The process announced its own shutdown (`STOPPING=1`).
    case stoppingNotified = "stopping-notified"
    /// Warden is shutting down.
    case shutdown
    /// RSS grew at the critical rate for `sustain` (`[programs.X.leak]`).
    case memoryGrowth = "memory-growth"
    /// Tree RSS stayed above `rss_max` for `sustain`.
    case rssMax = "rss-max"
    /// Open file descriptors stayed above `fds_max` for `sustain`.
    case fdsMax = "fds-max"
    /// Threads stayed above `threads_max` for `sustain`.
    case threadsMax = "threads-max"
    /// The worker's own connection count kept growing (a collector's `connection-leak` verdict) and its
    /// program has `connection_leak = "restart"`.
    case connectionLeak = "connection-leak"
    /// Host memory pressure (`/proc/pressure/memory`, `[supervisor] memory_pressure*`) stayed high and this
    /// was the fastest-growing worker graded critical: restarted without waiting out its leak `sustain`.
    case memoryPressure = "memory-pressure"
    /// A collector plugin stopped answering (three late, malformed or oversized answers in a row).
    case pluginUnresponsive = "plugin-unresponsive"
    /// A collector plugin speaks another protocol version: stopped until a reload.
    case protocolMismatch = "protocol-mismatch"
    /// The worker missed its watchdog (no `WATCHDOG=1` in time) or sent `WATCHDOG=trigger`.
    case watchdog
    /// The process was in a restart loop and its program has `on_loop = "stop"`: Warden stopped it.
    case restartLoop = "restart-loop"
    /// The program's configuration changed and a reload applied it.
    case configChanged = "config-changed"
    /// A reload added the instance.
    case addedByReload = "added-by-reload"
    /// A reload removed the instance.
    case removedByReload = "removed-by-reload"

    /// Whether this reason is Warden acting on a leak or limit verdict (`leak-restart` events).
    public var isLeakResponse: Bool {
        switch self {
        case .memoryGrowth, .rssMax, .fdsMax, .threadsMax, .connectionLeak, .memoryPressure: true
        default: false
        }
    }
}

/// A vocabulary of event reasons: an enum whose raw values are the kebab-case words on the wire.
/// `WardenEvent.reason` is built only from such enums, so no reason is a string literal typed twice.
public protocol ReasonVocabulary: Sendable {
    var rawValue: String { get }
}
