/// The life cycle of one supervised process instance, as a pure value: fed inputs with the current
/// monotonic time, it answers with the actions the runtime must perform. It never makes a syscall, reads a
/// clock or logs.
///
/// States are supervisord's; each state case carries the data valid in it (a deadline, a reason, the stop's
/// progress). The state-by-input table is `docs/states.md`; a test walks every cell. Races — an exit after a
/// stop request, a deadline that fires after the state moved on — are tolerated inputs, never crashes.
/// Times are `Duration` offsets on one monotonic clock chosen by the caller.
public struct ProcessStateMachine: Sendable {
    /// What the runtime must do in response to an input, in order.
    public enum Action: Sendable, Equatable {
        /// Spawn a new process for this instance, then report `spawned` or `spawnFailed`.
        case spawn
        /// Send this signal to the instance's process group.
        case signalGroup(Int32)
        /// SIGKILL every process of the instance's tree (the main process, descendants, adopted orphans).
        case killTree
        /// Record one state transition (one `state-change` event).
        case transition(Transition)
    }

    /// One state change and the reason that caused it.
    public struct Transition: Sendable, Equatable {
        public var from: ProcessState
        public var to: ProcessState
        public var reason: TransitionReason
        public init(from: ProcessState, to: ProcessState, reason: TransitionReason) {
            self.from = from; self.to = to; self.reason = reason
        }
    }

    /// What to do once a stop has completed.
    public enum AfterStop: Sendable, Equatable {
        /// Stay STOPPED.
        case stay
        /// Start again (a restart), with the reason recorded.
        case start(reason: TransitionReason)
        /// The stop ended a start that failed (no `READY=1` within `start_timeout`): count a failed start.
        case failedStart(reason: TransitionReason)
        /// The process announced its own shutdown (`STOPPING=1`): apply the restart policy as for an exit.
        case exitPolicy
        /// The watchdog expired or was triggered: a failure, as under systemd. With `restart = "never"` the
        /// process ends EXITED; otherwise it counts as a failed start (BACKOFF, then FATAL).
        case watchdogFailure
    }

    /// The progress of a stop: the data of the STOPPING state.
    public struct StopProgress: Sendable, Equatable {
        /// Why the stop began (the reason of the STOPPING transition, or of a later escalation).
        public var reason: TransitionReason
        /// When SIGKILL is due (`stop_timeout`), or `nil` once it was sent.
        public var deadline: Duration?
        /// Whether the main process was reaped.
        public var mainExited = false
        /// Whether SIGKILL went to the tree.
        public var killSent = false
        /// Whether the process announced the stop itself (`STOPPING=1`) and Warden sent no signal.
        public var selfAnnounced = false
        /// What happens when the stop completes.
        public var afterStop: AfterStop
        /// When the stopped process had become RUNNING, if it had (for the start limit's reset).
        public var ranSince: Duration?
    }

    /// The state and the data valid in it.
    enum Phase: Sendable, Equatable {
        case stopped(TransitionReason)
        /// `deadline`: `start_seconds` or `start_timeout`, armed once spawned.
        case starting(reason: TransitionReason, deadline: Duration?)
        /// `watchdog`: when the next `WATCHDOG=1` is due, if the program has a watchdog.
        case running(reason: TransitionReason, since: Duration, watchdog: Duration?)
        case backoff(reason: TransitionReason, until: Duration)
        case stopping(StopProgress)
        case exited(TransitionReason)
        case fatal(TransitionReason)
    }

    public private(set) var settings: Settings
    private(set) var phase: Phase = .stopped(.initial)
    /// Failed starts in a row (reset when a process reaches RUNNING or an operator starts it).
    public private(set) var failedStarts = 0
    /// Restarts after an exit delayed by the start limit in a row; the backoff doubles with each. Reset
    /// when a process has run for `startLimitInterval`.
    public private(set) var throttledRestarts = 0
    /// The last termination status seen, if any.
    public private(set) var lastTermination: TerminationStatus?
    /// When the last `startLimitBurst` starts began (oldest first), for the start limit.
    private var recentStarts: [Duration] = []

    public init(settings: Settings) { self.settings = settings }

    /// Replaces the settings (a reload that changes nothing requiring a restart); armed deadlines keep
    /// their instants.
    public mutating func update(settings: Settings) { self.settings = settings }

    // MARK: Reading the state

    /// The current supervisord state.
    public var state: ProcessState {
        switch phase {
        case .stopped: .stopped
        case .starting: .starting
        case .running: .running
        case .backoff: .backoff
        case .stopping: .stopping
        case .exited: .exited
        case .fatal: .fatal
        }
    }

    /// The reason of the last transition (sticky "why are we here").
    public var reason: TransitionReason {
        switch phase {
        case .stopped(let r), .exited(let r), .fatal(let r): r
        case .starting(let r, _), .running(let r, _, _), .backoff(let r, _): r
        case .stopping(let progress): progress.reason
        }
    }

    /// The instant at which `deadlineReached` must be called, or `nil` when no timer is armed.
    public var deadline: Duration? {
        switch phase {
        case .starting(_, let due): due
        case .running(_, _, let due): due
        case .backoff(_, let until): until
        case .stopping(let progress): progress.deadline
        case .stopped, .exited, .fatal: nil
        }
    }

    /// The stop in progress (STOPPING only).
    public var stopProgress: StopProgress? {
        if case .stopping(let progress) = phase { return progress }
        return nil
    }

    /// During STOPPING: whether the main process was reaped already.
    public var mainExited: Bool { stopProgress?.mainExited ?? false }
    /// During STOPPING: whether SIGKILL has been sent to the tree.
    public var killSent: Bool { stopProgress?.killSent ?? false }

    // MARK: Inputs

    /// An operator (or autostart) asks for the process to run. From STOPPED, EXITED, FATAL and BACKOFF it
    /// spawns at once (overriding backoff, resetting the failure count); during STOPPING it turns the
    /// stop into a restart; in STARTING/RUNNING it is ignored.
    public mutating func start(now: Duration, reason: TransitionReason = .startRequested) -> [Action] {
        switch phase {
        case .stopped, .exited, .fatal, .backoff:
            failedStarts = 0
            return beginStart(now: now, reason: reason)
        case .stopping(var progress):
            progress.afterStop = .start(reason: reason)
            phase = .stopping(progress)
            return []
        case .starting, .running:
            return []
        }
    }

    /// The runtime spawned the process asked for by `.spawn`: arms `start_timeout` (notify readiness) or
    /// `start_seconds` (zero: RUNNING at once).
    public mutating func spawned(now: Duration) -> [Action] {
        guard case .starting(let reason, _) = phase else { return [] }
        if settings.readiness == .notify {
            phase = .starting(reason: reason, deadline: now + settings.startTimeout)
            return []
        }
        if settings.startSeconds <= .zero { return enterRunning(now: now, reason: .startSecondsElapsed) }
        phase = .starting(reason: reason, deadline: now + settings.startSeconds)
        return []
    }

    /// The runtime could not spawn the process: counts as a failed start.
    /// `transient`: the failure says nothing about the program — Warden ran out of file descriptors or
    /// processes (EMFILE, ENFILE, EAGAIN) — so it is retried after a backoff without counting toward
    /// `start_retries`: the instance recovers once resources free up instead of going FATAL.
    public mutating func spawnFailed(now: Duration, reason: TransitionReason = .spawnFailed,
                                     transient: Bool = false) -> [Action] {
        guard case .starting = phase else { return [] }
        guard transient else { return failedStart(now: now, reason: reason) }
        let until = now + settings.backoff.delay(afterFailures: max(failedStarts, 1))
        return [move(to: .backoff(reason: reason, until: until))]
    }

    /// The main process was reaped with `status`.
    public mutating func exited(_ status: TerminationStatus, now: Duration) -> [Action] {
        lastTermination = status
        switch phase {
        case .starting:
            return failedStart(now: now, reason: settings.readiness == .notify ? .exitedBeforeReady : .exitedBeforeStartSeconds)
        case .running(_, let since, _):
            return exitFromRunning(status, since: since, now: now)
        case .stopping(var progress):
            progress.mainExited = true
            phase = .stopping(progress)
            return []
        case .stopped, .backoff, .exited, .fatal:
            return []   // a late or duplicate exit: tolerated
        }
    }

    /// An operator asks for the process to stop (or a removal by reload, or the shutdown).
    public mutating func stop(now: Duration, reason: TransitionReason = .stopRequested) -> [Action] {
        switch phase {
        case .starting:
            return beginStop(now: now, reason: reason, then: .stay)
        case .running(_, let since, _):
            return beginStop(now: now, reason: reason, then: .stay, ranSince: since)
        case .backoff:
            return [move(to: .stopped(reason))]
        case .stopping(var progress):
            progress.afterStop = .stay
            return escalateSelfStop(&progress, now: now, reason: reason)
        case .stopped, .exited, .fatal:
            return []
        }
    }

    /// A graceful restart: stop (signal, timeout, SIGKILL of the tree), then start. From a state without a
    /// process it is a plain start.
    public mutating func restart(now: Duration, reason: TransitionReason) -> [Action] {
        switch phase {
        case .starting:
            return beginStop(now: now, reason: reason, then: .start(reason: reason))
        case .running(_, let since, _):
            return beginStop(now: now, reason: reason, then: .start(reason: reason), ranSince: since)
        case .stopping(var progress):
            progress.afterStop = .start(reason: reason)
            return escalateSelfStop(&progress, now: now, reason: reason)
        case .stopped, .exited, .fatal, .backoff:
            failedStarts = 0
            return beginStart(now: now, reason: reason)
        }
    }

    /// Escalates a stop now, as if its `stop_timeout` had elapsed: SIGKILL to the tree (the shutdown's
    /// `shutdown_timeout`). Ignored outside STOPPING or once SIGKILL was sent.
    public mutating func killNow(now: Duration) -> [Action] {
        guard case .stopping(var progress) = phase, !progress.killSent else { return [] }
        progress.killSent = true
        progress.deadline = nil
        phase = .stopping(progress)
        return [.killTree]
    }

    // MARK: Notify-protocol inputs (systemd's sd_notify, relayed by the runtime)

    /// The process sent `READY=1`. With `.notify` readiness it ends STARTING; otherwise it is ignored.
    public mutating func ready(now: Duration) -> [Action] {
        guard case .starting = phase, settings.readiness == .notify else { return [] }
        return enterRunning(now: now, reason: .readyNotified)
    }

    /// The process sent `WATCHDOG=1`: the watchdog deadline moves to `now + watchdog` (RUNNING only).
    public mutating func watchdogPing(now: Duration) -> [Action] {
        guard case .running(let reason, let since, _) = phase, let period = settings.watchdog else { return [] }
        phase = .running(reason: reason, since: since, watchdog: now + period)
        return []
    }

    /// The process sent `WATCHDOG=trigger`: a watchdog restart at once (RUNNING with a watchdog only).
    public mutating func watchdogTrigger(now: Duration) -> [Action] {
        guard case .running(_, let since, _) = phase, settings.watchdog != nil else { return [] }
        return beginStop(now: now, reason: .watchdog, then: .watchdogFailure, ranSince: since)
    }

    /// The process sent `STOPPING=1`: RUNNING moves to STOPPING without a signal; `stop_timeout` is armed
    /// as systemd does, SIGKILL follows if the tree outlives it. When the tree is gone the restart policy
    /// decides as for an exit. A stop or restart asked for meanwhile makes it a normal stop.
    public mutating func stoppingNotified(now: Duration) -> [Action] {
        guard case .running(_, let since, _) = phase else { return [] }
        let progress = StopProgress(reason: .stoppingNotified, deadline: now + settings.stopTimeout,
                                    selfAnnounced: true, afterStop: .exitPolicy, ranSince: since)
        return [move(to: .stopping(progress))]
    }

    /// The process sent `EXTEND_TIMEOUT_USEC`: the pending start timeout (notify readiness) or stop timeout
    /// fires no sooner than `now + extra`. Other states and deadlines are unaffected.
    public mutating func extendTimeout(by extra: Duration, now: Duration) -> [Action] {
        switch phase {
        case .starting(let reason, let due?) where settings.readiness == .notify:
            phase = .starting(reason: reason, deadline: max(due, now + extra))
        case .stopping(var progress):
            guard let due = progress.deadline, !progress.killSent else { return [] }
            progress.deadline = max(due, now + extra)
            phase = .stopping(progress)
        default:
            break
        }
        return []
    }

    /// The armed `deadline` passed. Calls before the deadline, or with none armed, are ignored (a timer
    /// that raced with a transition).
    public mutating func deadlineReached(now: Duration) -> [Action] {
        guard let due = deadline, now >= due else { return [] }
        switch phase {
        case .starting where settings.readiness == .notify:
            // No READY=1 in time: stopped, and the start counts as failed once the tree is gone
            // (systemd's TimeoutStartSec).
            return beginStop(now: now, reason: .startTimeout, then: .failedStart(reason: .startTimeout))
        case .starting:
            return enterRunning(now: now, reason: .startSecondsElapsed)
        case .running(let reason, let since, _):
            // Only the watchdog arms a deadline while RUNNING (a reload may have removed it since).
            guard settings.watchdog != nil else {
                phase = .running(reason: reason, since: since, watchdog: nil)
                return []
            }
            return beginStop(now: now, reason: .watchdog, then: .watchdogFailure, ranSince: since)
        case .backoff:
            return beginStart(now: now, reason: .backoffElapsed)
        case .stopping:
            return killNow(now: now)
        case .stopped, .exited, .fatal:
            return []
        }
    }

    /// The runtime saw the main process reaped and no process of the tree left: ends STOPPING.
    public mutating func treeGone(now: Duration) -> [Action] {
        guard case .stopping(let progress) = phase, progress.mainExited else { return [] }
        switch progress.afterStop {
        case .failedStart(let reason):
            return failedStart(now: now, reason: reason)
        case .watchdogFailure:
            guard settings.restart != .never else { return [move(to: .exited(.watchdog))] }
            return failedStart(now: now, reason: .watchdog)
        case .exitPolicy:
            // The process stopped itself: judged like an exit from RUNNING.
            return exitFromRunning(lastTermination ?? .exited(1), since: progress.ranSince, now: now)
        case .stay, .start:
            var actions = [move(to: .stopped(progress.killSent ? .stopTimeoutKilled : .stopped))]
            if case .start(let reason) = progress.afterStop {
                failedStarts = 0
                actions += beginStart(now: now, reason: reason)
            }
            return actions
        }
    }

    // MARK: Transitions

    private mutating func move(to next: Phase) -> Action {
        let from = state
        phase = next
        return .transition(Transition(from: from, to: state, reason: reason))
    }

    private mutating func beginStart(now: Duration, reason: TransitionReason) -> [Action] {
        if settings.startLimitBurst > 0 {
            recentStarts.append(now)
            if recentStarts.count > settings.startLimitBurst { recentStarts.removeFirst() }
        }
        return [move(to: .starting(reason: reason, deadline: nil)), .spawn]
    }

    /// RUNNING (or a self-announced stop) ended with `status`: EXITED, then the restart policy.
    private mutating func exitFromRunning(_ status: TerminationStatus, since: Duration?, now: Duration) -> [Action] {
        let restart = switch settings.restart {
        case .always: true
        case .onFailure: !status.isSuccess
        case .never: false
        }
        var actions = [move(to: .exited(.exit))]
        if restart {
            failedStarts = 0
            actions += restartAfterExit(ranSince: since, now: now)
        }
        return actions
    }

    /// The restart policy said restart after an exit: start at once, unless the start limit is hit —
    /// `startLimitBurst` starts within `startLimitInterval` — in which case wait in BACKOFF (reason
    /// `restart-throttled`) for the backoff delay, doubled for each throttled restart in a row. Unlike
    /// systemd, which gives up, Warden keeps restarting at the slower pace: a crash loop costs a spawn per
    /// backoff, not a busy loop.
    private mutating func restartAfterExit(ranSince since: Duration?, now: Duration) -> [Action] {
        if let since, now - since >= settings.startLimitInterval { throttledRestarts = 0 }
        let burst = settings.startLimitBurst
        if burst > 0, recentStarts.count >= burst,
           recentStarts[recentStarts.count - burst] > now - settings.startLimitInterval {
            throttledRestarts += 1
            let until = now + settings.backoff.delay(afterFailures: throttledRestarts)
            return [move(to: .backoff(reason: .restartThrottled, until: until))]
        }
        return beginStart(now: now, reason: .exit)
    }

    private mutating func enterRunning(now: Duration, reason: TransitionReason) -> [Action] {
        failedStarts = 0
        // With a watchdog, the first ping is due one period after the process became RUNNING.
        return [move(to: .running(reason: reason, since: now, watchdog: settings.watchdog.map { now + $0 }))]
    }

    private mutating func failedStart(now: Duration, reason: TransitionReason) -> [Action] {
        failedStarts += 1
        if failedStarts > settings.startRetries { return [move(to: .fatal(.startRetriesExhausted))] }
        let until = now + settings.backoff.delay(afterFailures: failedStarts)
        return [move(to: .backoff(reason: reason, until: until))]
    }

    private mutating func beginStop(now: Duration, reason: TransitionReason, then afterStop: AfterStop,
                                    ranSince: Duration? = nil) -> [Action] {
        let progress = StopProgress(reason: reason, deadline: now + settings.stopTimeout, afterStop: afterStop,
                                    ranSince: ranSince)
        return [move(to: .stopping(progress)), .signalGroup(settings.stopSignal)]
    }

    /// A stop or restart asked for during STOPPING. While the process is stopping on its own it becomes
    /// Warden's stop — the stop signal and a fresh kill timer, no second transition recorded; a stop Warden
    /// already signalled only gets the new `afterStop`.
    private mutating func escalateSelfStop(_ progress: inout StopProgress, now: Duration,
                                           reason: TransitionReason) -> [Action] {
        guard progress.selfAnnounced else {
            phase = .stopping(progress)
            return []
        }
        progress.selfAnnounced = false
        progress.reason = reason
        progress.deadline = progress.killSent ? nil : now + settings.stopTimeout
        phase = .stopping(progress)
        return progress.mainExited ? [] : [.signalGroup(settings.stopSignal)]
    }
}
