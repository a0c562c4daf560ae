#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
public import Logging
public import ServiceLifecycle
public import WardenConfig
import WardenCore
public import WardenLinux

/// The runtime coordinator: owns every instance and feeds each input — a reaped child, a timer, a sample,
/// a notify message, a plugin's answer, a control request — to the instance's `WorkerStateMachine`, then
/// performs the actions it returns through WardenLinux and publishes what happened on `events`.
///
/// The concerns with state of their own are their own types: `StopCoordinator` (scans, stop watch,
/// leftovers), `NotifyServer`, `ServiceManagerLink` (Warden's own sd_notify), `PluginHost`. Nothing here
/// blocks on a syscall wait. Run it as a `Service`: graceful shutdown stops every worker within
/// `shutdown_timeout`, SIGKILLs what is left, and returns when no process of any tree remains.
public actor Supervisor: Service {
    let logger: Logger
    var configuration: WardenConfiguration
    var registry: InstanceRegistry
    /// The event stream: every consumer (event log, history, metrics…) subscribes here.
    public nonisolated let events = EventBus()
    let eventLog: EventLogSubscriber
    let capture: OutputCapture
    let clock: SupervisorClock
    let spawning: SpawnContext
    var waiters: [Waiter] = []
    var shutdown = ShutdownState()
    let stops: StopCoordinator
    let serviceManager: ServiceManagerLink
    let notifyServer: NotifyServer
    var sampling = SamplingBooks()
    let plugins = PluginHost()
    /// Restart loops and leak verdicts as alerts (`Supervisor+ProcessAlerts.swift`).
    var processAlerts = ProcessAlertTracker()
    /// `STATE_DIR/warden.lock`, held for the supervisor's life (`warden run` takes it before creating it).
    var lock: StateDirectoryLock?
    /// `STATE_DIR/workers/`: a record per main process, for the next Warden if this one is killed.
    let workerRecords: WorkerRecordStore
    /// The records written and not yet removed, by pid.
    var recordedWorkers: [Int32: WorkerRecord] = [:]
    /// Called after a removed state directory was made again (see `checkStateDirectory`).
    var stateDirectoryRecreated: (@Sendable () -> Void)?
    var lossReport = LossReport()
    /// Descriptors held back for spawning when the fd table is full.
    let fdReserve = FDReserve()

    /// Creates the supervisor for `configuration`; nothing is spawned until `run()`.
    ///
    /// Creates `state_dir` (mode 0700), `state_dir/logs` and `state_dir/workers`. `processes` is the real
    /// process layer unless a test gives another; `lock` is the state directory's lock, kept while it runs.
    /// - Throws: `SupervisorError` when the state directory cannot be created, is another user's or
    ///   writable by others, or output capture cannot start.
    public init(configuration: WardenConfiguration, logger: Logger,
                processes: any ProcessLayer = LinuxProcessLayer(), lock: StateDirectoryLock? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        let state = configuration.supervisor.stateDirectory
        if let failure = StateDirectory.create(state).failure {
            throw SupervisorError(message: "cannot create \(failure.directory): \(String(cString: strerror(failure.errno)))")
        }
        if let problem = StateDirectory.problem(state) { throw SupervisorError(message: problem) }
        var info = stat()
        if stat(state, &info) == 0, info.st_mode & 0o077 != 0 {
            logger.warning("state_dir \(state) is readable by other users (mode \(String(info.st_mode & 0o7777, radix: 8)))")
        }
        self.lock = lock
        workerRecords = WorkerRecordStore(directory: state + "/workers")
        eventLog = EventLogSubscriber(bus: events, path: state + "/events.jsonl",
                                      maxBytes: configuration.supervisor.logMaxBytes,
                                      backups: configuration.supervisor.logBackups, logger: logger)
        do {
            capture = try OutputCapture(maxBytes: configuration.supervisor.logMaxBytes,
                                        backups: configuration.supervisor.logBackups)
        } catch {
            throw SupervisorError(message: "cannot start output capture: \(error)")
        }
        clock = SupervisorClock()
        spawning = SpawnContext(processes: processes)
        registry = InstanceRegistry(programs: configuration.supervisedPrograms)
        stops = StopCoordinator(wardenPID: spawning.wardenPID)
        serviceManager = ServiceManagerLink()
        notifyServer = NotifyServer(path: state + "/notify.sock")
        // About 8 fds per worker (pipes, logs, pidfd, sampler handles); workers inherit a raised limit,
        // see ResourceLimits.raiseOpenFileLimit.
        if let limit = try? ResourceLimits.raiseOpenFileLimit(ifBelow: UInt64(256 + 16 * registry.order.count)),
           limit.after != limit.before {
            logger.info("raised RLIMIT_NOFILE soft limit from \(limit.before.soft) to \(limit.after.soft)")
        }
    }

    /// Sets the hook that `shutdown()` calls to stop the whole service group (HTTP server included).
    public func setGroupShutdownHandler(_ handler: @escaping @Sendable () -> Void) {
        shutdown.requestGroupShutdown = handler
    }

    /// Monotonic time since the supervisor was created.
    func now() -> Duration { clock.now() }

    // MARK: Service

    /// Starts the autostart programs and supervises until graceful shutdown completes.
    public func run() async throws {
        let reaped = spawning.processes.reapedChildren()
        // Reaping must outlive cancellation of this task: exits must still be seen while every tree is
        // killed. So this loop is not a child task; it ends with the supervisor.
        let reaper = Task { for await child in reaped { self.reaped(child) } }
        let sampler = Task { await self.samplingLoop() }
        openNotifySocket()
        startSystemdWatchdog()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await self.startAutostart()
                self.serviceManager.autostartIssued = true
                self.updateServiceManager()
                await self.waitForShutdown()
            } onGracefulShutdown: {
                Task { await self.beginShutdown() }
            }
        } onCancel: {
            Task { await self.emergencyStop() }
        }
        // Cancelled before the shutdown completed: wait for the emergency stop (it is bounded).
        await waitForShutdown()
        sampler.cancel()
        reaper.cancel()
        notifyServer.close()
        serviceManager.stopWatchdog()
        // Output written by workers while they stopped is drained before exit (supervisord issue 11).
        _ = await capture.shutdown(timeout: .seconds(2))
        events.finish()
        await eventLog.drained()
        forgetFinishedWorkers(index: scanProcesses(fresh: true))
        workerRecords.flush()
        logger.info("supervisor stopped", metadata: ["events_failed": "\(eventLog.failedWrites)"])
    }

    private func startAutostart() async {
        publish(WardenEvent(time: RFC3339.now().0, process: nil, event: .supervisor, reason: EventReason.started,
                            message: "warden \(spawning.wardenPID) supervising \(registry.order.count) processes"))
        await endPreviousLeftovers()
        for instance in registry.all { announce(instance, reason: EventReason.configured) }
        for (count, instance) in registry.all.enumerated() {
            guard !shutdown.begun else { return }
            guard instance.program.autostart else { continue }
            feed(instance) { $0.start(now: $1, reason: .autostart) }
            // Let signals, exits and control requests in between spawns of a large config.
            if count % 16 == 15 { await Task.yield() }
        }
    }

    func waitForShutdown() async {
        if shutdown.finished { return }
        await withCheckedContinuation { shutdown.continuations.append($0) }
    }

    // MARK: Feeding the state machines

    /// Applies one input to `instance`'s machine and performs the resulting actions.
    func feed(_ instance: Instance, _ input: (inout WorkerStateMachine, Duration) -> [WorkerStateMachine.Action]) {
        perform(input(&instance.machine, now()), for: instance)
        armTimer(for: instance)
        if instance.machine.state == .stopping { ensureStopMonitor() }
        if !registry.retiring.isEmpty { dropRetired() }
        resolveWaiters()
        checkShutdownComplete()
    }

    func perform(_ actions: [WorkerStateMachine.Action], for instance: Instance) {
        for (index, action) in actions.enumerated() {
            switch action {
            case .record(let event):
                // The change to STARTING that a spawn follows is published by `spawn`, with the new pid.
                if case .stateChanged(let t, _, _, _) = event, t.to == .starting, index + 1 < actions.count,
                   case .spawn = actions[index + 1] {
                    continue
                }
                record(event, of: instance)
            case .spawn:
                var starting: WorkerEvent?
                if index > 0, case .record(let event) = actions[index - 1], case .stateChanged(let t, _, _, _) = event,
                   t.to == .starting {
                    starting = event
                }
                spawn(instance, starting: starting)
            case .signalGroup(let signal): signalGroup(of: instance, signal: signal)
            case .killTree: killTree(of: instance)
            case .sendSignal(let signal):
                if let pid = instance.pid { spawning.processes.signal(pid, pidfd: instance.pidfd, signal: signal) }
            }
        }
    }

    /// Publishes that `instance` joined the supervised set, in its current state (`process-added`).
    func announce(_ instance: Instance, reason: any ReasonVocabulary) {
        publish(WardenEvent(time: RFC3339.now().0, process: instance.name, program: instance.program.name,
                            event: .processAdded, newState: instance.machine.state, reason: reason))
    }

    /// Publishes a worker's event, logging what an operator should see in Warden's log.
    func record(_ event: WorkerEvent, of instance: Instance) {
        var record = event.record(process: instance.name, program: instance.program.name, pid: instance.pid,
                                  time: RFC3339.now().0)
        // The transition that completes a stop names what the stop ended.
        var stopText = ""
        if case .stateChanged(let t, _, _, _) = event, t.from == .stopping, t.to != .stopping, instance.stopReportPending,
           let report = instance.lastStop {
            instance.stopReportPending = false
            record.message = [record.message, report.text].compactMap { $0 }.joined(separator: "; ")
            stopText = ", \(report.text)"
        }
        publish(record)
        trackAlerts(event, of: instance)
        // `process` and `event` become WARDEN_PROCESS= and WARDEN_EVENT= in the journal.
        var metadata: Logger.Metadata = ["process": "\(instance.name)", "event": "\(record.event.rawValue)"]
        if let pid = instance.pid { metadata["pid"] = "\(pid)" }
        switch event {
        case .stateChanged(let t, let exit, let cause, let restart):
            scheduleServiceManagerUpdate()
            let level: Logger.Level = (t.to == .fatal || t.to == .backoff) ? .warning : .info
            let line = ProcessCause.logLine(t, exit: exit, spawnFailure: restart == nil ? cause : nil,
                                            restartCause: restart == nil ? nil : cause)
            logger.log(level: level, "\(instance.name): \(line)\(stopText)", metadata: metadata)
        case .severityChanged(_, let to, _, let evidence) where to >= .graded(.high):
            metadata["rss_growth_mb_per_min"] = "\(evidence?.verdict.rssGrowthMBPerMinute ?? 0)"
            let rate = evidence.flatMap(\.record.rssGrowthMBPerMin).map { ", \(LeakMessage.oneDecimal($0)) MiB/min" } ?? ""
            let window = evidence.flatMap(\.record.windowSeconds).map { " over \(Int($0)) s" } ?? ""
            logger.warning("\(instance.name): memory growth \(to)\(rate)\(window)", metadata: metadata)
        case .leakRestart(_, _, let message):
            logger.warning("\(instance.name): restarting, \(message)", metadata: metadata)
        case .leakAlert(let reason, _, let message):
            logger.warning("\(instance.name): \(reason.rawValue) (alert only): \(message)", metadata: metadata)
        case .watchdogExpired(let triggered, _, _):
            logger.warning("\(instance.name): watchdog \(triggered ? "triggered" : "expired"), restarting", metadata: metadata)
        case .severityChanged, .cleanupSignalSent, .notifyErrno:
            break
        }
    }

    /// Publishes an event on the stream (and so to `events.jsonl`).
    func publish(_ event: WardenEvent) { events.publish(.recorded(event)) }

    // MARK: Timers

    private func armTimer(for instance: Instance) {
        let deadline = instance.machine.deadline
        guard deadline != instance.timerDeadline else { return }
        instance.timer?.cancel()
        instance.timerDeadline = deadline
        guard let deadline else { instance.timer = nil; return }
        let name = instance.name
        instance.timer = Task { [clock] in
            try? await clock.sleep(until: deadline)
            guard !Task.isCancelled else { return }
            self.timerFired(name: name, deadline: deadline)
        }
    }

    private func timerFired(name: String, deadline: Duration) {
        guard let instance = registry[name], instance.timerDeadline == deadline else { return }
        instance.timerDeadline = nil
        instance.timer = nil
        feed(instance) { $0.timerFired(now: max($1, deadline)) }
    }
}

/// The monotonic clock every decision uses: offsets since the supervisor was created.
struct SupervisorClock: Sendable {
    let clock = ContinuousClock()
    let epoch: ContinuousClock.Instant

    init() { epoch = clock.now }

    func now() -> Duration { clock.now - epoch }

    /// Sleeps until the offset `deadline` (1 ms tolerance).
    func sleep(until deadline: Duration) async throws {
        try await clock.sleep(until: epoch + deadline, tolerance: .milliseconds(1))
    }

    func sleep(for duration: Duration, tolerance: Duration? = nil) async throws {
        try await clock.sleep(for: duration, tolerance: tolerance)
    }
}

/// Where the supervisor is in its own life: supervising, shutting down, finished.
struct ShutdownState {
    enum Phase { case supervising, shuttingDown, finished }
    var phase: Phase = .supervising
    /// Set when `shutdown_timeout` elapsed (or the group was cancelled): remaining trees are SIGKILLed.
    var timedOut = false
    /// Tasks waiting for the shutdown to finish.
    var continuations: [CheckedContinuation<Void, Never>] = []
    /// Called by `shutdown()` (the control API) to start the graceful shutdown of the whole service group.
    var requestGroupShutdown: (@Sendable () -> Void)?

    var begun: Bool { phase != .supervising }
    var finished: Bool { phase == .finished }
}

/// An error that prevents the supervisor from starting (not a worker failure: those are events).
public struct SupervisorError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
