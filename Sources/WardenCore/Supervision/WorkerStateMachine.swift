/// Every decision about one supervised instance, as a pure value: its life cycle (`ProcessStateMachine`:
/// states, restart policy, start limit, stop plan), its leak response (severity, then the cleanup signal,
/// then the restart gates), what it was told over the notify protocol, and the bookkeeping `warden status`
/// shows (restarts, the last restart's reason).
///
/// Fed inputs with the current monotonic time, it returns `[Action]` for the runtime to perform; it never
/// makes a syscall, reads a clock or logs. Facts about the rest of the supervisor (another instance of the
/// program is restarting, Warden is shutting down) come in as inputs. The runtime keeps only OS handles
/// (pid, pidfd, pipes, timers) beside it.
public struct WorkerStateMachine: Sendable {
    /// How the instance responds to leak verdicts (`[programs.X.leak]`).
    public struct LeakResponse: Sendable, Equatable {
        /// Critical verdicts restart the process (`true`) or only raise an alert (`on_critical = "alert"`).
        public var restartOnCritical: Bool
        /// Sent once per process when severity first reaches high (`cleanup_signal`), `nil` for none.
        public var cleanupSignal: SignalName?
        /// Connection-leak verdicts restart the process (`connection_leak = "restart"`) or only alert.
        public var restartOnConnectionLeak: Bool

        public init(restartOnCritical: Bool = true, cleanupSignal: SignalName? = nil,
                    restartOnConnectionLeak: Bool = false) {
            self.restartOnCritical = restartOnCritical; self.cleanupSignal = cleanupSignal
            self.restartOnConnectionLeak = restartOnConnectionLeak
        }
    }

    /// What the runtime must do, in order.
    public enum Action: Sendable, Equatable {
        /// Spawn a new process, then report `spawned` or `spawnFailed`.
        case spawn
        /// Send this signal to the process group (the stop signal).
        case signalGroup(Int32)
        /// SIGKILL every process of the tree.
        case killTree
        /// Send this signal to the main process only (the cleanup signal).
        case sendSignal(Int32)
        /// Publish this event.
        case record(WorkerEvent)
    }

    /// The supervisor-wide facts a leak verdict is judged against.
    public struct Context: Sendable, Equatable {
        /// Another instance of the same program is being restarted for a leak (one at a time per program).
        public var programRestarting: Bool
        /// Warden is shutting down: no new restarts.
        public var shuttingDown: Bool
        /// Memory the host (or Warden's cgroup) can still give, bytes, for the detector's forecast; `nil`
        /// when unknown.
        public var memoryHeadroomBytes: UInt64?
        public init(programRestarting: Bool = false, shuttingDown: Bool = false, memoryHeadroomBytes: UInt64? = nil) {
            self.programRestarting = programRestarting; self.shuttingDown = shuttingDown
            self.memoryHeadroomBytes = memoryHeadroomBytes
        }
    }

    public private(set) var lifecycle: ProcessStateMachine
    public private(set) var detector: LeakDetector
    public var leakResponse: LeakResponse

    /// The latest measurements of the current process (`nil` before its first sample).
    public private(set) var observation: Observation?
    /// The latest verdict of the current process's leak detector.
    public private(set) var verdict: LeakVerdict?
    /// The current grade, `warming-up` until the detector has a trend.
    public private(set) var severity: SeverityGrade = .warmingUp
    /// `severity` is provisional (`LeakVerdict.provisional`): a first look that never acts.
    public private(set) var provisional = false
    /// The last `STATUS=` text of the current process.
    public private(set) var statusText: String?
    /// The last `ERRNO=` of the current process.
    public private(set) var notifyErrno: Int32?
    /// Restarts so far (a start after the first spawn).
    public private(set) var restarts = 0
    /// Why the last restart happened.
    public private(set) var lastRestartReason: TransitionReason?
    /// The last restart's cause in words (`ProcessCause.restart`): `exit status 1`,
    /// `killed by signal 9 (SIGKILL)`, `memory-growth 31.2 MiB/min`, `manual`.
    public private(set) var lastRestartCause: String?
    /// How the last process ended.
    public private(set) var lastExit: TerminationStatus?
    /// Stops that completed (left STOPPING), so a stop request can tell its stop ended.
    public private(set) var stopsCompleted = 0
    /// Whether the instance has left STARTING at least once (for Warden's own `READY=1`).
    public private(set) var leftStarting = false
    /// The leak or limit restart in progress, if any (set until the next process runs).
    public private(set) var leakRestart: TransitionReason?
    /// Why the last spawn failed, until a process is spawned again.
    public private(set) var lastSpawnFailure: String?

    /// The figure of the leak or limit verdict that restarts the process (`LeakMessage.detail`).
    private var leakDetail: String?
    private var hasSpawned = false
    private var backoffReason: TransitionReason?
    private var cleanupSent = false
    private var alerted = false
    private var lastWatchdogPing: Duration?
    private var runningSince: Duration?
    private var watchdogTriggered = false

    public init(settings: ProcessStateMachine.Settings, detector: LeakDetectorConfiguration,
                leakResponse: LeakResponse) {
        lifecycle = ProcessStateMachine(settings: settings)
        self.detector = LeakDetector(configuration: detector)
        self.leakResponse = leakResponse
    }

    /// The supervisord state.
    public var state: ProcessState { lifecycle.state }

    /// While warming up: seconds of sampling left before the first (provisional) grade, from the span the
    /// last verdict covered; `nil` once graded.
    public var secondsToFirstGrade: Double? {
        guard severity == .warmingUp else { return nil }
        return max(0, detector.provisionalAfter.seconds - (verdict?.windowSeconds ?? 0))
    }

    /// Until the grade is final (warming up or provisional): seconds of sampling left before it is; `nil` once final.
    public var secondsToFinalGrade: Double? {
        guard severity == .warmingUp || provisional else { return nil }
        return max(0, detector.finalAfter.seconds - (verdict?.windowSeconds ?? 0))
    }

    /// Applies new settings without a restart (a reload that changed nothing requiring one). A new detector
    /// configuration starts the detector over.
    public mutating func update(settings: ProcessStateMachine.Settings, detector configuration: LeakDetectorConfiguration,
                                leakResponse: LeakResponse) {
        lifecycle.update(settings: settings)
        if detector.configuration != configuration { detector = LeakDetector(configuration: configuration) }
        self.leakResponse = leakResponse
    }

    // MARK: Inputs: control

    /// Start asked for (operator, autostart, reload).
    public mutating func start(now: Duration, reason: TransitionReason) -> [Action] {
        lift(lifecycle.start(now: now, reason: reason), now: now)
    }

    /// Stop asked for (operator, reload, shutdown). Cancels a leak restart in progress.
    public mutating func stop(now: Duration, reason: TransitionReason) -> [Action] {
        leakRestart = nil
        return lift(lifecycle.stop(now: now, reason: reason), now: now)
    }

    /// Graceful restart asked for (operator, reload, plugin host).
    public mutating func restart(now: Duration, reason: TransitionReason) -> [Action] {
        lift(lifecycle.restart(now: now, reason: reason), now: now)
    }

    /// SIGKILL the tree of a stop now (the shutdown's `shutdown_timeout` elapsed).
    public mutating func killNow(now: Duration) -> [Action] {
        lift(lifecycle.killNow(now: now), now: now)
    }

    // MARK: Inputs: the process

    /// The process asked for by `.spawn` exists: the per-process data starts over.
    public mutating func spawned(now: Duration) -> [Action] {
        guard state == .starting else { return [] }
        hasSpawned = true
        lastSpawnFailure = nil
        detector.reset()
        observation = nil
        verdict = nil
        statusText = nil
        notifyErrno = nil
        cleanupSent = false
        alerted = false
        lastWatchdogPing = nil
        watchdogTriggered = false
        runningSince = nil
        var actions: [Action] = []
        if severity != .warmingUp {
            actions.append(.record(.severityChanged(from: severity, to: .warmingUp, reason: .newProcess, evidence: nil)))
            severity = .warmingUp
        }
        provisional = false
        return actions + lift(lifecycle.spawned(now: now), now: now)
    }

    /// The spawn failed; `cause` says why (a missing executable, no notify socket, an exec error). The
    /// cause goes with the transition it causes and stays `lastSpawnFailure` until a process is spawned.
    public mutating func spawnFailed(now: Duration, reason: TransitionReason, cause: String,
                                     transient: Bool = false) -> [Action] {
        lastExit = nil
        lastSpawnFailure = cause
        return lift(lifecycle.spawnFailed(now: now, reason: reason, transient: transient), now: now)
    }

    /// The main process was reaped.
    public mutating func exited(_ status: TerminationStatus, now: Duration) -> [Action] {
        lastExit = status
        return lift(lifecycle.exited(status, now: now), now: now)
    }

    /// The main process is reaped and no process of its tree is left: completes a stop.
    public mutating func treeGone(now: Duration) -> [Action] {
        lift(lifecycle.treeGone(now: now), now: now)
    }

    /// The armed `deadline` passed.
    public mutating func timerFired(now: Duration) -> [Action] {
        lift(lifecycle.deadlineReached(now: now), now: now)
    }

    /// When `timerFired` is due, or `nil`.
    public var deadline: Duration? { lifecycle.deadline }

    /// A notify-protocol command from a process allowed to notify for this instance. `MAINPID=` and
    /// `RELOADING=1` are the runtime's (they need /proc); they are ignored here.
    public mutating func notified(_ command: NotifyCommand, now: Duration) -> [Action] {
        switch command {
        case .ready: return lift(lifecycle.ready(now: now), now: now)
        case .stopping: return lift(lifecycle.stoppingNotified(now: now), now: now)
        case .status(let text): statusText = text; return []
        case .errno(let number):
            guard notifyErrno != number else { return [] }   // one event per change
            notifyErrno = number
            return [.record(.notifyErrno(number))]
        case .watchdogPing:
            lastWatchdogPing = now
            return lift(lifecycle.watchdogPing(now: now), now: now)
        case .watchdogTrigger:
            watchdogTriggered = true
            return lift(lifecycle.watchdogTrigger(now: now), now: now)
        case .extendTimeout(let usec):
            return lift(lifecycle.extendTimeout(by: .microseconds(Int64(clamping: usec)), now: now), now: now)
        case .mainPID, .reloading:
            return []
        }
    }

    // MARK: Inputs: measurements

    /// One sample of the tree. Feeds the detector, then responds: a severity change is recorded; the first
    /// time severity reaches high the cleanup signal goes to the main process; a verdict demanding action
    /// restarts the process (or alerts, with `on_critical = "alert"`) — while RUNNING, one leak restart at
    /// a time per program, none during shutdown.
    public mutating func sampled(_ sample: Observation, now: Duration, context: Context,
                                 scratch: inout LeakScratch) -> [Action] {
        observation = sample
        let verdict = detector.observe(
            ResourceSample(time: now, rssBytes: sample.treeRSSBytes, fds: sample.fds, threads: sample.threads,
                           headroomBytes: context.memoryHeadroomBytes),
            sharing: &scratch)
        self.verdict = verdict
        var actions: [Action] = []
        let grade: SeverityGrade = verdict.warmingUp ? .warmingUp : .graded(verdict.severity)
        if grade != severity || verdict.provisional != provisional {
            // A provisional grade that the final one keeps is recorded once more, as confirmed.
            let reason = grade == severity ? EventReason.gradeConfirmed : SeverityGrade.reason(from: severity, to: grade)
            actions.append(.record(.severityChanged(from: severity, to: grade, reason: reason, evidence: evidence(verdict))))
            severity = grade
            provisional = verdict.provisional
        }
        if !provisional, grade >= .graded(.high) {
            if let cleanup = leakResponse.cleanupSignal, !cleanupSent {
                cleanupSent = true
                actions.append(.sendSignal(cleanup.number))
                actions.append(.record(.cleanupSignalSent(cleanup, severity: grade, evidence: evidence(verdict))))
            }
        }
        // One alert per continuous condition: it may be raised again once the verdict stopped demanding action.
        if verdict.action == nil { alerted = false }
        guard let reason = verdict.action, state == .running, leakRestart == nil, !context.shuttingDown
        else { return actions }
        let message = LeakMessage.restart(reason, verdict: verdict, observation: sample,
                                          configuration: detector.configuration)
        if !leakResponse.restartOnCritical {
            guard !alerted else { return actions }
            alerted = true
            return actions + [.record(.leakAlert(reason, evidence: evidence(verdict),
                                                 message: "on_critical = alert: not restarting; \(message)"))]
        }
        guard !context.programRestarting else { return actions }
        leakRestart = reason
        leakDetail = LeakMessage.detail(reason, verdict: verdict, observation: sample, configuration: detector.configuration)
        actions.append(.record(.leakRestart(reason, evidence: evidence(verdict), message: message)))
        return actions + lift(lifecycle.restart(now: now, reason: reason), now: now)
    }

    /// A collector's connection-leak verdict for this worker (`message` cites the pool and the growth).
    /// Restarts while RUNNING with `connection_leak = "restart"`, otherwise records an alert.
    public mutating func connectionLeak(message: String, now: Duration, context: Context) -> [Action] {
        guard leakResponse.restartOnConnectionLeak else {
            return [.record(.leakAlert(.connectionLeak, evidence: nil,
                                       message: "connection_leak = alert: not restarting; \(message)"))]
        }
        guard state == .running, leakRestart == nil, !context.shuttingDown else { return [] }
        leakRestart = .connectionLeak
        leakDetail = nil
        return [.record(.leakRestart(.connectionLeak, evidence: nil, message: message))]
            + lift(lifecycle.restart(now: now, reason: .connectionLeak), now: now)
    }

    /// This worker as `MemoryPressureGuard` sees it: a candidate while RUNNING with a final grade, no leak
    /// restart under way and `on_critical = "restart"`; `nil` otherwise.
    public var pressureCandidate: (severity: SeverityGrade, growing: Bool, rateMBPerMinute: Double)? {
        guard state == .running, leakRestart == nil, !provisional, leakResponse.restartOnCritical,
              let verdict, let rate = verdict.rssGrowthMBPerMinute else { return nil }
        return (severity, verdict.growing, rate)
    }

    /// The pressure guard chose this worker (`MemoryPressureGuard.Decision`): a graceful restart, reason
    /// `memory-pressure`, with the PSI figures and the rate in the event's evidence and message. Nothing
    /// when the worker is no longer RUNNING, already restarting, or Warden is shutting down.
    public mutating func memoryPressure(_ pressure: MemoryPressureEvidence, now: Duration, context: Context) -> [Action] {
        guard state == .running, leakRestart == nil, !context.shuttingDown, let verdict else { return [] }
        var evidence = evidence(verdict)
        evidence.pressure = pressure
        leakRestart = .memoryPressure
        leakDetail = "\(LeakMessage.oneDecimal(pressure.rateMBPerMinute)) MiB/min, full avg10 \(LeakMessage.oneDecimal(pressure.pressure.full.avg10)) %"
        return [.record(.leakRestart(.memoryPressure, evidence: evidence, message: pressure.summary))]
            + lift(lifecycle.restart(now: now, reason: .memoryPressure), now: now)
    }

    // MARK: From the life cycle's actions to the worker's

    /// Turns the life cycle's actions into the worker's, keeping the books on each transition.
    private mutating func lift(_ actions: [ProcessStateMachine.Action], now: Duration) -> [Action] {
        var result: [Action] = []
        for action in actions {
            switch action {
            case .spawn: result.append(.spawn)
            case .signalGroup(let signal): result.append(.signalGroup(signal))
            case .killTree: result.append(.killTree)
            case .transition(let t): result += book(t, now: now)
            }
        }
        return result
    }

    private mutating func book(_ t: ProcessStateMachine.Transition, now: Duration) -> [Action] {
        var actions: [Action] = []
        let restart = t.to == .starting && hasSpawned
        if restart {
            restarts += 1
            // A retry after BACKOFF restarts because the process exited or missed its watchdog; after a
            // failed spawn it is still the restart that was asked for.
            if t.reason != .backoffElapsed {
                lastRestartReason = t.reason
                lastRestartCause = ProcessCause.restart(t.reason, exit: lastExit, leakDetail: leakDetail)
            } else if let why = backoffReason, why != .executableNotFound, why != .spawnFailed, why != .notifySocketUnavailable {
                lastRestartReason = why == .watchdog ? .watchdog : .exit
                lastRestartCause = ProcessCause.restart(lastRestartReason!, exit: lastExit, leakDetail: nil)
            }
        }
        if t.from == .stopping { stopsCompleted += 1 }
        if t.from == .starting { leftStarting = true }
        if t.to == .backoff { backoffReason = t.reason }
        if t.to == .running { runningSince = now }
        if t.from == .running, t.to == .stopping, t.reason == .watchdog {
            actions.append(.record(.watchdogExpired(
                triggered: watchdogTriggered, silence: (lastWatchdogPing ?? runningSince).map { now - $0 },
                period: lifecycle.settings.watchdog)))
        }
        if [.running, .fatal, .backoff, .exited].contains(t.to) { leakRestart = nil }
        let ended = t.to == .exited || t.to == .backoff || t.to == .fatal
        let cause = t.from == .starting && ended ? lastSpawnFailure : nil
        actions.append(.record(.stateChanged(t, exit: ended ? lastExit : nil, cause: restart ? lastRestartCause : cause,
                                             restart: restart ? lastRestartReason : nil)))
        return actions
    }

    private func evidence(_ verdict: LeakVerdict) -> LeakEvidence {
        LeakEvidence(observation: observation, verdict: verdict)
    }
}

/// The measurements of one instance's tree at one sample.
public struct Observation: Sendable, Equatable {
    /// RSS of the main process, bytes.
    public var mainRSSBytes: UInt64
    /// Threads of the main process.
    public var mainThreads: Int
    /// Open fds of the main process, `nil` when unreadable.
    public var mainFDs: Int?
    /// RSS summed over the tree, bytes.
    public var treeRSSBytes: UInt64
    /// Open fds over the tree.
    public var fds: Int
    /// Threads over the tree.
    public var threads: Int
    /// Processes in the tree.
    public var processes: Int
    /// CPU use of the tree over the last interval, percent of one core; `nil` until known.
    public var cpuPercent: Double?

    public init(mainRSSBytes: UInt64, mainThreads: Int, mainFDs: Int?, treeRSSBytes: UInt64, fds: Int, threads: Int,
                processes: Int, cpuPercent: Double?) {
        self.mainRSSBytes = mainRSSBytes; self.mainThreads = mainThreads; self.mainFDs = mainFDs
        self.treeRSSBytes = treeRSSBytes; self.fds = fds
        self.threads = threads; self.processes = processes; self.cpuPercent = cpuPercent
    }
}

/// A severity as shown to operators: `warming-up` until the detector has a trend, then a `LeakSeverity`.
/// Ordered: warming-up < none < low < … < critical.
public enum SeverityGrade: Sendable, Hashable, Comparable, CustomStringConvertible {
    case warmingUp
    case graded(LeakSeverity)

    /// The wire name: `warming-up`, `none`, `low`, `medium`, `high`, `critical`.
    public var description: String {
        switch self {
        case .warmingUp: "warming-up"
        case .graded(let severity): severity.rawValue
        }
    }

    /// Every grade, in order.
    public static let allGrades: [SeverityGrade] = [.warmingUp] + LeakSeverity.allCases.map { .graded($0) }

    /// Position in `allGrades` (warming-up 0 … critical 5): the form the history stores.
    public var rank: Int { Self.allGrades.firstIndex(of: self)! }

    /// Parses a wire name.
    public init?(_ name: String) {
        if name == SeverityGrade.warmingUp.description { self = .warmingUp; return }
        guard let severity = LeakSeverity(rawValue: name) else { return nil }
        self = .graded(severity)
    }

    /// Why the grade moved: the first grade after warming up is `first-grade` when it is `none`,
    /// otherwise growth rose (`growth-rising`) or slowed (`growth-subsided`).
    public static func reason(from old: SeverityGrade, to new: SeverityGrade) -> EventReason {
        if old == .warmingUp, new == .graded(.none) { return .firstGrade }
        return new > old ? .growthRising : .growthSubsided
    }

    public static func < (a: SeverityGrade, b: SeverityGrade) -> Bool {
        switch (a, b) {
        case (.warmingUp, .graded): true
        case (.graded(let x), .graded(let y)): x < y
        default: false
        }
    }
}
