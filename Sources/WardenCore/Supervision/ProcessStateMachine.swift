/// The life cycle of one supervised process instance, as a pure value: it is fed inputs (with the current
/// monotonic time) and answers with the actions the runtime must perform. It never makes a syscall, reads
/// a clock or logs.
///
/// States and transitions follow supervisord (STOPPED, STARTING, RUNNING, BACKOFF, STOPPING, EXITED, FATAL);
/// the full state-by-input table is in `docs/states.md`, and each cell has a test. Races — an exit that
/// arrives after a stop request, a deadline that fires after the state moved on — are tolerated inputs,
/// never crashes.
///
/// Times are `Duration` offsets on one monotonic clock chosen by the caller (e.g. since Warden started).
///
/// Stopping is a two-step plan: `stop_signal` to the process group, then after `stop_timeout` SIGKILL to
/// every process of the tree. STOPPING ends only when the runtime reports that the main process was reaped
/// *and* the whole tree is gone (`treeGone`), because a fast-exiting parent must not leave children behind.
public struct ProcessStateMachine: Sendable {
    /// The settings of the program that govern the life cycle (from `[programs.X]`).
    public struct Settings: Sendable, Equatable {
        /// Restart policy applied when a RUNNING process exits.
        public var restart: RestartPolicy
        /// How long a process must stay up to count as started; zero means RUNNING at once.
        public var startSeconds: Duration
        /// Failed starts in a row that are retried; one more failure makes the process FATAL.
        public var startRetries: Int
        /// Delay schedule between failed starts.
        public var backoff: Backoff
        /// Linux signal number sent to the process group to ask for a stop.
        public var stopSignal: Int32
        /// Grace period after `stopSignal` before SIGKILL of the whole tree.
        public var stopTimeout: Duration
        /// How a start succeeds: after `startSeconds`, or on `ready()` (systemd `Type=notify`).
        public var readiness: ReadinessMode
        /// With `.notify` readiness: how long STARTING may wait for `ready()` before the start fails.
        public var startTimeout: Duration
        /// While RUNNING: the longest allowed gap between `watchdogPing`s, `nil` for no watchdog.
        public var watchdog: Duration?
        /// Restarts after an exit are throttled once the process has been started this many times within
        /// `startLimitInterval` (systemd's `StartLimitBurst=`); 0 never throttles.
        public var startLimitBurst: Int
        /// The window of `startLimitBurst` (systemd's `StartLimitIntervalSec=`).
        public var startLimitInterval: Duration

        public init(restart: RestartPolicy, startSeconds: Duration, startRetries: Int, backoff: Backoff,
                    stopSignal: Int32, stopTimeout: Duration, readiness: ReadinessMode = .started,
                    startTimeout: Duration = .seconds(90), watchdog: Duration? = nil,
                    startLimitBurst: Int = 0, startLimitInterval: Duration = .seconds(10)) {
            self.restart = restart; self.startSeconds = startSeconds; self.startRetries = startRetries
            self.backoff = backoff; self.stopSignal = stopSignal; self.stopTimeout = stopTimeout
            self.readiness = readiness; self.startTimeout = startTimeout; self.watchdog = watchdog
            self.startLimitBurst = startLimitBurst; self.startLimitInterval = startLimitInterval
        }
    }

    /// What the runtime must do in response to an input, in order.
    public enum Action: Sendable, Equatable {
        /// Spawn a new process for this instance, then report `spawned` or `spawnFailed`.
        case spawn
        /// Send this signal to the instance's process group.
        case signalGroup(Int32)
        /// SIGKILL every process of the instance's tree (the main process, descendants, adopted orphans).
        case killTree
        /// Record one state transition (one line in events.jsonl).
        case transition(Transition)
    }

    /// One state change, with the reason that caused it (kebab-case, systemd style).
    public struct Transition: Sendable, Equatable {
        public var from: ProcessState
        public var to: ProcessState
        /// Why, e.g. `exit`, `start-seconds-elapsed`, `memory-growth`, `start-limit-hit`, `stop-requested`.
        public var reason: String
        public init(from: ProcessState, to: ProcessState, reason: String) {
            self.from = from; self.to = to; self.reason = reason
        }
    }

    /// What to do once a stop has completed.
    public enum AfterStop: Sendable, Equatable {
        /// Stay STOPPED.
        case stay
        /// Start again (a restart), with the reason recorded.
        case start(reason: String)
        /// The stop ended a start that failed (no `READY=1` within `start_timeout`): count a failed
        /// start, then BACKOFF or FATAL as for a process that died while STARTING.
        case failedStart(reason: String)
        /// The process announced its own shutdown (`STOPPING=1`): when it is gone, apply the restart
        /// policy as for a RUNNING process that exited.
        case exitPolicy
        /// The watchdog expired or was triggered: a failure, as under systemd. With `restart = "never"`
        /// the process ends EXITED; otherwise it counts as a failed start (BACKOFF, then FATAL after
        /// `start_retries`), so a worker that triggers its watchdog in a loop is throttled by the backoff.
        case watchdogFailure
    }

    public private(set) var settings: Settings
    /// The current supervisord state.
    public private(set) var state: ProcessState = .stopped
    /// Failed starts in a row (reset when a process reaches RUNNING or an operator starts it).
    public private(set) var failedStarts = 0
    /// The instant at which `deadlineReached` must be called, or `nil` when no timer is armed.
    public private(set) var deadline: Duration?
    /// During STOPPING: whether the main process was reaped already.
    public private(set) var mainExited = false
    /// During STOPPING: whether SIGKILL has been sent to the tree.
    public private(set) var killSent = false
    /// During STOPPING: what happens when the stop completes.
    public private(set) var afterStop: AfterStop = .stay
    /// The last termination status seen, if any.
    public private(set) var lastTermination: TerminationStatus?
    /// The reason of the last transition (sticky "why are we here").
    public private(set) var reason: String = "initial"
    /// During STOPPING: whether the stop was announced by the process (`STOPPING=1`) rather than asked
    /// for by Warden, so no signal was sent and no kill is scheduled.
    public private(set) var selfStopping = false
    /// Restarts after an exit delayed by the start limit in a row; the backoff doubles with each. Reset
    /// when a process has run for `startLimitInterval`.
    public private(set) var throttledRestarts = 0
    /// When the last `startLimitBurst` starts began (oldest first), for the start limit.
    private var recentStarts: [Duration] = []
    /// When the current process became RUNNING.
    private var runningSince: Duration?

    public init(settings: Settings) { self.settings = settings }

    /// Replaces the settings (used when a reload changes nothing that requires a restart). Current timers
    /// keep their instants.
    public mutating func update(settings: Settings) { self.settings = settings }

    // MARK: Inputs

    /// An operator (or autostart) asks for the process to run.
    ///
    /// From STOPPED, EXITED, FATAL and BACKOFF it spawns at once (an operator start overrides backoff and
    /// resets the failure count). In STARTING/RUNNING it is ignored; during STOPPING it turns the stop into
    /// a restart.
    public mutating func start(now: Duration, reason: String = "start-requested") -> [Action] {
        switch state {
        case .stopped, .exited, .fatal, .backoff:
            failedStarts = 0
            return beginStart(now: now, reason: reason)
        case .stopping:
            afterStop = .start(reason: reason)
            return []
        case .starting, .running:
            return []
        }
    }

    /// The runtime spawned the process asked for by `.spawn`.
    public mutating func spawned(now: Duration) -> [Action] {
        guard state == .starting else { return [] }
        if settings.readiness == .notify {
            deadline = now + settings.startTimeout
            return []
        }
        if settings.startSeconds <= .zero {
            return enterRunning(now: now, reason: "start-seconds-elapsed")
        }
        deadline = now + settings.startSeconds
        return []
    }

    /// The runtime could not spawn the process (e.g. the executable is missing): counts as a failed start.
    public mutating func spawnFailed(now: Duration, reason: String = "spawn-failed") -> [Action] {
        guard state == .starting else { return [] }
        return failedStart(now: now, reason: reason)
    }

    /// The main process was reaped with `status`.
    public mutating func exited(_ status: TerminationStatus, now: Duration) -> [Action] {
        lastTermination = status
        switch state {
        case .starting:
            return failedStart(now: now, reason: "exited-before-start-seconds")
        case .running:
            let restart: Bool
            switch settings.restart {
            case .always: restart = true
            case .onFailure: restart = !status.isSuccess
            case .never: restart = false
            }
            var actions = [move(to: .exited, reason: "exit")]
            deadline = nil
            if restart {
                failedStarts = 0
                actions += restartAfterExit(now: now)
            }
            return actions
        case .stopping:
            mainExited = true
            return []
        case .stopped, .backoff, .exited, .fatal:
            return []   // a late or duplicate exit: tolerated
        }
    }

    /// An operator asks for the process to stop (or a removal by reload).
    public mutating func stop(now: Duration, reason: String = "stop-requested") -> [Action] {
        switch state {
        case .starting, .running:
            afterStop = .stay
            return beginStop(now: now, reason: reason)
        case .backoff:
            deadline = nil
            return [move(to: .stopped, reason: reason)]
        case .stopping:
            afterStop = .stay
            return selfStopping ? escalateSelfStop(now: now, reason: reason) : []
        case .stopped, .exited, .fatal:
            return []
        }
    }

    /// A graceful restart: stop (signal, timeout, SIGKILL of the tree), then start. From a state without a
    /// process it is a plain start.
    public mutating func restart(now: Duration, reason: String) -> [Action] {
        switch state {
        case .starting, .running:
            afterStop = .start(reason: reason)
            return beginStop(now: now, reason: reason)
        case .stopping:
            afterStop = .start(reason: reason)
            return selfStopping ? escalateSelfStop(now: now, reason: reason) : []
        case .stopped, .exited, .fatal, .backoff:
            failedStarts = 0
            return beginStart(now: now, reason: reason)
        }
    }

    // MARK: Notify-protocol inputs (systemd's sd_notify, relayed by the runtime)

    /// The process sent `READY=1`. With `.notify` readiness it ends STARTING; otherwise it is ignored.
    public mutating func ready(now: Duration) -> [Action] {
        guard state == .starting, settings.readiness == .notify else { return [] }
        return enterRunning(now: now, reason: "ready-notified")
    }

    /// The process sent `WATCHDOG=1`: the watchdog deadline moves to `now + watchdog` (RUNNING only).
    public mutating func watchdogPing(now: Duration) -> [Action] {
        guard state == .running, let period = settings.watchdog else { return [] }
        deadline = now + period
        return []
    }

    /// The process sent `WATCHDOG=trigger`: a watchdog restart at once (RUNNING with a watchdog only).
    public mutating func watchdogTrigger(now: Duration) -> [Action] {
        guard state == .running, settings.watchdog != nil else { return [] }
        afterStop = .watchdogFailure
        return beginStop(now: now, reason: "watchdog")
    }

    /// The process sent `STOPPING=1`: it is shutting down by itself. RUNNING moves to STOPPING without a
    /// signal; as systemd does, `stop_timeout` is armed, and if the tree is still there when it elapses it
    /// is SIGKILLed. When the tree is gone the restart policy decides as for an exit. A stop or restart
    /// requested meanwhile turns it into a normal stop (signal, a fresh timeout, SIGKILL).
    public mutating func stoppingNotified(now: Duration) -> [Action] {
        guard state == .running else { return [] }
        mainExited = false
        killSent = false
        selfStopping = true
        afterStop = .exitPolicy
        deadline = now + settings.stopTimeout
        return [move(to: .stopping, reason: "stopping-notified")]
    }

    /// The process sent `EXTEND_TIMEOUT_USEC`: the pending start timeout (notify readiness) or stop timeout
    /// fires no sooner than `now + extra`. Other states and deadlines are unaffected.
    public mutating func extendTimeout(by extra: Duration, now: Duration) -> [Action] {
        let extendable = (state == .starting && settings.readiness == .notify) || (state == .stopping && !killSent)
        guard extendable, let due = deadline else { return [] }
        deadline = max(due, now + extra)
        return []
    }

    /// The armed `deadline` passed. Calls with `now` before the deadline, or with no deadline armed, are
    /// ignored (a timer that raced with a transition).
    public mutating func deadlineReached(now: Duration) -> [Action] {
        guard let due = deadline, now >= due else { return [] }
        deadline = nil
        switch state {
        case .starting where settings.readiness == .notify:
            // No READY=1 in time: the process is stopped (signal, timeout, SIGKILL) and the start counts
            // as failed once it is gone, as systemd does on TimeoutStartSec.
            afterStop = .failedStart(reason: "start-timeout")
            return beginStop(now: now, reason: "start-timeout")
        case .starting:
            return enterRunning(now: now, reason: "start-seconds-elapsed")
        case .running:
            // Only the watchdog arms a deadline while RUNNING.
            guard settings.watchdog != nil else { return [] }
            afterStop = .watchdogFailure
            return beginStop(now: now, reason: "watchdog")
        case .backoff:
            return beginStart(now: now, reason: "backoff-elapsed")
        case .stopping:
            guard !killSent else { return [] }
            killSent = true
            return [.killTree]
        default:
            return []
        }
    }

    /// The runtime saw the main process reaped and no process of the tree left. Ends STOPPING.
    public mutating func treeGone(now: Duration) -> [Action] {
        guard state == .stopping, mainExited else { return [] }
        deadline = nil
        let next = afterStop
        afterStop = .stay
        selfStopping = false
        switch next {
        case .failedStart(let reason):
            return failedStart(now: now, reason: reason)
        case .watchdogFailure:
            guard settings.restart != .never else { return [move(to: .exited, reason: "watchdog")] }
            return failedStart(now: now, reason: "watchdog")
        case .exitPolicy:
            // The process stopped itself: judged like an exit from RUNNING (see `exited`).
            let restart: Bool
            switch settings.restart {
            case .always: restart = true
            case .onFailure: restart = !(lastTermination?.isSuccess ?? false)
            case .never: restart = false
            }
            var actions = [move(to: .exited, reason: "exit")]
            if restart { actions += restartAfterExit(now: now) }
            return actions
        case .stay, .start:
            var actions = [move(to: .stopped, reason: killSent ? "stop-timeout-killed" : "stopped")]
            if case .start(let reason) = next {
                failedStarts = 0
                actions += beginStart(now: now, reason: reason)
            }
            return actions
        }
    }

    // MARK: Transitions

    private mutating func move(to next: ProcessState, reason: String) -> Action {
        let transition = Transition(from: state, to: next, reason: reason)
        state = next
        self.reason = reason
        return .transition(transition)
    }

    private mutating func beginStart(now: Duration, reason: String) -> [Action] {
        deadline = nil
        mainExited = false
        killSent = false
        runningSince = nil
        if settings.startLimitBurst > 0 {
            recentStarts.append(now)
            if recentStarts.count > settings.startLimitBurst { recentStarts.removeFirst() }
        }
        return [move(to: .starting, reason: reason), .spawn]
    }

    /// The restart policy said restart after an exit (from EXITED): start at once, unless the start limit
    /// is hit — `startLimitBurst` starts within `startLimitInterval` — in which case wait in BACKOFF (reason
    /// `start-limit`) for the backoff delay, doubled for each throttled restart in a row. Unlike systemd,
    /// which gives up, Warden keeps restarting at that slower pace: a worker that exits quickly (a crash
    /// loop with `start_seconds = 0`) costs a spawn per backoff, not a busy loop.
    private mutating func restartAfterExit(now: Duration) -> [Action] {
        if let since = runningSince, now - since >= settings.startLimitInterval { throttledRestarts = 0 }
        runningSince = nil
        let burst = settings.startLimitBurst
        if burst > 0, recentStarts.count >= burst, recentStarts[recentStarts.count - burst] > now - settings.startLimitInterval {
            throttledRestarts += 1
            deadline = now + settings.backoff.delay(afterFailures: throttledRestarts)
            return [move(to: .backoff, reason: "start-limit")]
        }
        return beginStart(now: now, reason: "exit")
    }

    private mutating func enterRunning(now: Duration, reason: String) -> [Action] {
        // With a watchdog, the first ping is due one period after the process became RUNNING.
        deadline = settings.watchdog.map { now + $0 }
        failedStarts = 0
        runningSince = now
        return [move(to: .running, reason: reason)]
    }

    private mutating func failedStart(now: Duration, reason: String) -> [Action] {
        failedStarts += 1
        if failedStarts > settings.startRetries {
            deadline = nil
            return [move(to: .fatal, reason: "start-limit-hit")]
        }
        deadline = now + settings.backoff.delay(afterFailures: failedStarts)
        return [move(to: .backoff, reason: reason)]
    }

    private mutating func beginStop(now: Duration, reason: String) -> [Action] {
        mainExited = false
        killSent = false
        selfStopping = false
        deadline = now + settings.stopTimeout
        return [move(to: .stopping, reason: reason), .signalGroup(settings.stopSignal)]
    }

    /// A stop asked for while the process was stopping on its own: from now on it is Warden's stop, with
    /// the stop signal and the kill timer. Stays in STOPPING (no second transition is recorded).
    private mutating func escalateSelfStop(now: Duration, reason: String) -> [Action] {
        selfStopping = false
        self.reason = reason
        deadline = now + settings.stopTimeout
        return mainExited ? [] : [.signalGroup(settings.stopSignal)]
    }
}
