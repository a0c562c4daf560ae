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
import WardenLinux
import WardenSystemd
import WardenAPI

/// The runtime: the single owner of every process instance and its state machine.
///
/// All inputs — reaped children (from `ChildReaper`), timer deadlines, samples, control requests,
/// reloads — reach this actor one at a time; it feeds them to the pure `ProcessStateMachine` of the
/// instance concerned and performs the returned actions (spawn, signal, kill the tree) through
/// WardenLinux. Nothing here blocks on a syscall wait: reaping happens on the reaper's own queue, and
/// /proc reads in the sampler are short, bounded reads.
///
/// Run it as a `Service` in a `ServiceGroup`: graceful shutdown (SIGTERM/SIGINT) stops every worker in
/// parallel within `shutdown_timeout`, SIGKILLs what is left, and returns when no process of any tree
/// remains.
public actor Supervisor: Service {
    let logger: Logger
    var configuration: WardenConfiguration
    /// Instances by name, and the order in which they are listed (program name, then index).
    var instances: [String: Instance] = [:]
    var order: [String] = []
    /// Main pid → instance name, for reaped children.
    var byPID: [Int32: String] = [:]
    let eventLog: EventLog
    let capture: OutputCapture
    let clock = ContinuousClock()
    let epoch: ContinuousClock.Instant
    let wardenPID: Int32
    let executableDirectory: String
    /// Warden's own environment, read once: every worker starts from it (building it from
    /// `ProcessInfo` on each spawn was a tenth of start-up CPU with 500 workers).
    let baseEnvironment: [String: String]
    var waiters: [Waiter] = []
    /// Instances removed by a reload that are still stopping; dropped once their tree is gone.
    var retiring: Set<String> = []
    /// New instances of a reloaded program that start once the program's retiring instances are gone
    /// (they may hold its ports or files).
    var pendingStarts: [String] = []
    var shuttingDown = false
    var shutdownFinished = false
    var shutdownContinuations: [CheckedContinuation<Void, Never>] = []
    var stopMonitor: Task<Void, Never>?
    /// Called by `shutdown()` (the control API) to start the graceful shutdown of the whole service group.
    var requestGroupShutdown: (@Sendable () -> Void)?
    /// Leftovers of dead workers that were sent the stop signal and await SIGKILL, pid → starttime.
    /// A graceful shutdown is complete only when they are gone too.
    var leftovers: [Int32: UInt64] = [:]
    /// The last /proc scan and when it was taken, reused within `scanReuse` (a shutdown stops hundreds
    /// of instances in one actor turn; one scan serves them all).
    var lastScan: (index: TreeIndex, at: Duration)?
    /// How long the last /proc scan took (it scales with the processes on the host).
    var lastScanCost: Duration = .zero
    /// The scan every `scanProcesses()` returns inside `withSharedScan`.
    var sharedScan: TreeIndex?
    /// Previous tree CPU ticks and the monotonic time they were read, per instance, for `cpu_percent`.
    var previousCPU: [String: (ticks: UInt64, at: Duration)] = [:]

    // systemd, both ways (Supervisor+Systemd.swift, Supervisor+Notify.swift)
    /// Warden's own service manager link (no-op without `NOTIFY_SOCKET`).
    let systemd: SystemdNotifier
    var systemdWatchdog: Task<Void, Never>?
    var readySent = false
    var autostartIssued = false
    var lastServiceStatus: String?
    var serviceUpdatePending = false
    /// The socket offered to workers as `NOTIFY_SOCKET`, and the task draining it.
    var notifySocket: NotifySocket?
    var notifyConsumer: Task<Void, Never>?
    var notifyCounters = NotifyDatagramCounts()
    /// `warden-exec` next to the warden binary (sets WATCHDOG_PID before exec), `nil` if absent.
    let execShim: String?
    /// Work buffers lent to every instance's leak detector in turn (one set instead of one per process).
    var leakScratch = LeakScratch()
    /// What sampling has cost so far (`/v1/health`).
    var samplingCounters = SamplingCounts()
    /// Pool alert state per collector name (Supervisor+Plugins.swift); survives plugin restarts.
    var trackers: [String: PoolAlertTracker] = [:]
    /// The thread reading every collector plugin's stdout and stderr, started with the first plugin.
    var pipePump: PipeLinePump?

    /// Creates `state` and `state/logs` where missing, mode 0700: the control socket inside is then never
    /// reachable by others, even in the moment between bind and chmod. An existing directory keeps its
    /// mode (it may be shared).
    /// - Returns: the directories created, and the first one that could neither be created nor found
    ///   (with its errno).
    static func createStateDirectories(_ state: String) -> (created: [String], failure: (directory: String, errno: Int32)?) {
        var created: [String] = []
        for dir in [state, state + "/logs"] {
            if mkdir(dir, 0o700) == 0 {
                created.append(dir)
            } else if errno != EEXIST {
                return (created, (dir, errno))
            }
        }
        return (created, nil)
    }

    /// Creates the supervisor for `configuration`; nothing is spawned until `run()`.
    ///
    /// Creates `state_dir` (mode 0700) and `state_dir/logs`.
    /// - Throws: `SupervisorError` when the state directory cannot be created.
    public init(configuration: WardenConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let state = configuration.supervisor.stateDirectory
        if let failure = Self.createStateDirectories(state).failure {
            throw SupervisorError(message: "cannot create \(failure.directory): \(String(cString: strerror(failure.errno)))")
        }
        var info = stat()
        if stat(state, &info) == 0, info.st_mode & 0o077 != 0 {
            logger.warning("state_dir \(state) is accessible to other users (mode \(String(info.st_mode & 0o7777, radix: 8)))")
        }
        eventLog = EventLog(path: state + "/events.jsonl", maxBytes: configuration.supervisor.logMaxBytes,
                            backups: configuration.supervisor.logBackups)
        do {
            capture = try OutputCapture(maxBytes: configuration.supervisor.logMaxBytes,
                                        backups: configuration.supervisor.logBackups)
        } catch {
            throw SupervisorError(message: "cannot start output capture: \(error)")
        }
        epoch = clock.now
        wardenPID = getpid()
        executableDirectory = ExecutableResolver.currentExecutableDirectory()
        // What systemd passed to Warden itself is not the workers' business: a worker inheriting
        // NOTIFY_SOCKET or WATCHDOG_* would talk to Warden's service manager as if it were Warden.
        var environment = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
                    "JOURNAL_STREAM"] {
            environment[key] = nil
        }
        baseEnvironment = environment
        systemd = SystemdNotifier()
        execShim = ExecutableResolver.resolve("warden-exec", searchPath: nil, preferDirectory: executableDirectory,
                                              workingDirectory: nil)
        for program in configuration.supervisedPrograms {
            for (index, name) in program.instanceNames.enumerated() {
                instances[name] = Instance(name: name, index: index, program: program)
                order.append(name)
            }
        }
        // About 8 fds per worker (pipes, logs, pidfd, sampler handles); workers inherit a raised limit,
        // see ResourceLimits.raiseOpenFileLimit.
        if let limit = try? ResourceLimits.raiseOpenFileLimit(ifBelow: UInt64(256 + 16 * order.count)),
           limit.after != limit.before {
            logger.info("raised RLIMIT_NOFILE soft limit from \(limit.before.soft) to \(limit.after.soft)")
        }
    }

    /// Sets the hook that `shutdown()` calls to stop the whole service group (HTTP server included).
    public func setGroupShutdownHandler(_ handler: @escaping @Sendable () -> Void) {
        requestGroupShutdown = handler
    }

    /// Monotonic time since the supervisor was created.
    func now() -> Duration { clock.now - epoch }

    // MARK: Service

    /// Starts the autostart programs and supervises until graceful shutdown completes.
    public func run() async throws {
        let reaped = ChildReaper.start()
        // Reaping must outlive cancellation of this task: if the service group is cancelled (SIGQUIT,
        // the control API failing to bind, a graceful shutdown overrunning), exits must still be seen
        // while every tree is killed. So this loop is not a child task; it ends with the supervisor.
        let reaper = Task { for await child in reaped { self.handleReaped(child) } }
        let sampler = Task { await self.samplingLoop() }
        openNotifySocket()
        startSystemdWatchdog()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await self.startAutostart()
                self.autostartIssued = true
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
        closeNotifySocket()
        systemdWatchdog?.cancel()
        // Output written by workers while they stopped is drained before exit (supervisord issue 11).
        _ = await capture.shutdown(timeout: .seconds(2))
        logger.info("supervisor stopped", metadata: ["events_failed": "\(eventLog.failedWrites)"])
    }

    private func startAutostart() async {
        record(WardenEvent(time: RFC3339.now().0, process: nil, event: .supervisor, reason: "started",
                           message: "warden \(wardenPID) supervising \(order.count) processes"))
        for (count, name) in order.enumerated() {
            guard !shuttingDown else { return }
            guard let instance = instances[name], instance.program.autostart else { continue }
            feed(instance) { $0.start(now: $1, reason: "autostart") }
            // Let signals, exits and control requests in between spawns of a large config.
            if count % 16 == 15 { await Task.yield() }
        }
    }

    func waitForShutdown() async {
        if shutdownFinished { return }
        await withCheckedContinuation { shutdownContinuations.append($0) }
    }

    // MARK: Feeding the state machines

    /// Applies one input to `instance`'s state machine and performs the resulting actions.
    func feed(_ instance: Instance,
              _ input: (inout ProcessStateMachine, Duration) -> [ProcessStateMachine.Action]) {
        let actions = input(&instance.machine, now())
        perform(actions, for: instance)
        armTimer(for: instance)
        if instance.machine.state == .stopping { ensureStopMonitor() }
        if !retiring.isEmpty { dropRetired() }
        resolveWaiters()
        checkShutdownComplete()
    }

    private func perform(_ actions: [ProcessStateMachine.Action], for instance: Instance) {
        for action in actions {
            switch action {
            case .transition(let t):
                recordTransition(t, of: instance)
            case .spawn:
                spawn(instance)
            case .signalGroup(let signal):
                signalGroup(of: instance, signal: signal)
            case .killTree:
                killTree(of: instance)
            }
        }
    }

    private func recordTransition(_ t: ProcessStateMachine.Transition, of instance: Instance) {
        if t.to == .starting, instance.spawns > 0 {
            instance.restarts += 1
            // A retry after BACKOFF is still a restart because the process exited (or missed its watchdog).
            instance.lastRestartReason = t.reason == "backoff-elapsed"
                ? (instance.backoffReason == RestartReason.watchdog.rawValue ? RestartReason.watchdog.rawValue : "exit")
                : t.reason
        }
        if t.from == .stopping { instance.stopsCompleted += 1 }
        if t.from == .starting { instance.leftStarting = true }
        if t.to == .backoff { instance.backoffReason = t.reason }
        if t.from == .running, t.to == .stopping, t.reason == "watchdog" {
            let triggered = instance.watchdogTriggered
            let silence = (instance.lastWatchdogPing ?? instance.startedAtMonotonic).map { (now() - $0).seconds }
            record(WardenEvent(time: RFC3339.now().0, process: instance.name, event: .watchdog,
                               reason: triggered ? "trigger" : "missed-ping", pid: instance.pid,
                               message: triggered ? "WATCHDOG=trigger received"
                                   : "no WATCHDOG=1 for \(silence.map { String(format1: $0) } ?? "?")s (watchdog \(instance.program.watchdog.map(DurationText.format) ?? "-"))"))
            logger.warning("\(instance.name): watchdog \(triggered ? "triggered" : "expired"), restarting")
        }
        scheduleServiceManagerUpdate()
        switch t.to {
        case .running, .fatal, .backoff, .exited: instance.leakRestartInProgress = false
        default: break
        }
        let exitText = (t.to == .exited || t.to == .backoff || t.to == .fatal) ? instance.lastExit?.description : nil
        record(WardenEvent(time: RFC3339.now().0, process: instance.name, event: .stateChange,
                           oldState: t.from, newState: t.to, reason: t.reason, pid: instance.pid,
                           exitStatus: exitText))
        let level: Logger.Level = (t.to == .fatal || t.to == .backoff) ? .warning : .info
        // `process` and `event` become WARDEN_PROCESS= and WARDEN_EVENT= in the journal.
        var metadata: Logger.Metadata = ["process": "\(instance.name)", "event": "state-change"]
        if let pid = instance.pid { metadata["pid"] = "\(pid)" }
        logger.log(level: level, "\(instance.name): \(t.from.rawValue) -> \(t.to.rawValue) (\(t.reason))",
                   metadata: metadata)
    }

    func record(_ event: WardenEvent) { eventLog.append(event) }

    // MARK: Spawning

    private func spawn(_ instance: Instance) {
        let program = instance.program
        let at = now()
        guard let executable = ExecutableResolver.resolve(
            program.command[0], searchPath: baseEnvironment["PATH"],
            preferDirectory: executableDirectory, workingDirectory: program.directory)
        else {
            let place = program.command[0].contains("/")
                ? "(no executable file at that path\(program.directory.map { ", relative to \($0)" } ?? ""))"
                : "(looked next to warden and on PATH)"
            logger.error("\(instance.name): cannot find executable \"\(program.command[0])\" \(place)")
            if let collector = program.collector {
                apply(updateTracker(collector) { $0.raisePluginFailure("plugin \(collector.plugin) not found \(place)", at: $1) },
                      collector: collector.name)
            }
            instance.lastExit = nil
            let actions = instance.machine.spawnFailed(now: at, reason: "executable-not-found")
            perform(actions, for: instance)
            return
        }
        var environment = baseEnvironment
        for (key, value) in program.environment { environment[key] = value }
        environment["WARDEN_PROCESS_NAME"] = instance.name
        environment["WARDEN_PROCESS_INDEX"] = "\(instance.index)"
        environment["WARDEN_PROGRAM_NAME"] = program.name
        guard let notifyVariables = notifyEnvironment(for: program) else {
            logger.error("\(instance.name): no notify socket for ready = \"notify\" / watchdog")
            perform(instance.machine.spawnFailed(now: at, reason: "notify-socket-unavailable"), for: instance)
            return
        }
        environment.merge(notifyVariables) { $1 }
        // With a watchdog the worker must find its own pid in WATCHDOG_PID (sd_watchdog_enabled(3));
        // warden-exec sets it and execs the program, keeping the pid.
        var executablePath = executable
        var arguments = program.command
        if program.watchdog != nil, let shim = execShim {
            executablePath = shim
            arguments = ["warden-exec", executable] + program.command
        }
        let logs = configuration.supervisor.stateDirectory + "/logs/" + instance.name
        if instance.plugin != nil { endConversation(with: instance, exit: nil) }
        do {
            let out: Int32, err: Int32
            var input: Int32? = nil
            var link: PluginLink? = nil
            if program.collector != nil {
                // A plugin's stdio is its protocol channel (stdout) and its log (stderr, to Warden's log).
                let channel = try makePluginChannel(generation: instance.spawns + 1)
                (input, out, err, link) = (channel.stdin, channel.stdout, channel.stderr, channel.link)
            } else {
                // The logs directory may have been removed while Warden runs (a cleanup script, `rm -rf
                // state_dir`): recreate it rather than fail every later spawn.
                if access(configuration.supervisor.stateDirectory + "/logs", F_OK) != 0 {
                    for dir in Self.createStateDirectories(configuration.supervisor.stateDirectory).created {
                        logger.warning("recreated \(dir), which had been removed")
                    }
                }
                out = try capture.makePipe(logPath: logs + ".out.log")
                do { err = try capture.makePipe(logPath: logs + ".err.log") } catch {
                    capture.closeWriteEnd(out); throw error
                }
            }
            defer {
                if link != nil { [out, err, input!].forEach { _ = close($0) } } else { capture.closeWriteEnd(out); capture.closeWriteEnd(err) }
            }
            let spawned: SpawnedProcess
            do {
                spawned = try Spawner.spawn(SpawnRequest(
                    executablePath: executablePath, arguments: arguments, environment: environment,
                    directory: program.directory, stdoutFD: out, stderrFD: err, stdinFD: input))
            } catch {
                link?.tearDown()
                throw error
            }
            instance.pid = spawned.pid
            instance.pidfd = spawned.pidfd
            instance.sessionID = spawned.pid
            instance.statusText = nil
            instance.notifyErrno = nil
            instance.lastWatchdogPing = nil
            instance.watchdogTriggered = false
            instance.startTicks = ProcReader.readStat(pid: spawned.pid)?.startTime
            let (_, wall) = RFC3339.now()
            instance.startedAt = wall
            instance.startedAtMonotonic = at
            instance.spawns += 1
            instance.detector.reset()
            instance.verdict = nil
            instance.alerted = false
            instance.cleanupSent = false
            instance.mainSample = nil
            instance.tree = TreeTotals()
            instance.knownTree = [:]
            instance.cpuPercent = nil
            previousCPU[instance.name] = nil
            byPID[spawned.pid] = instance.name
            logger.debug("\(instance.name): spawned pid \(spawned.pid)")
            if let link, let collector = program.collector {
                instance.plugin = link
                startConversation(with: instance, collector: collector)
            }
            workerSpawned(instance)
            perform(instance.machine.spawned(now: at), for: instance)
        } catch {
            if let directory = program.directory, access(directory, X_OK) != 0 {
                logger.error("\(instance.name): cannot use directory \"\(directory)\": \(String(cString: strerror(errno)))")
            } else {
                logger.error("\(instance.name): spawn failed: \(error)")
            }
            if let collector = program.collector {
                apply(updateTracker(collector) { $0.raisePluginFailure("plugin \(collector.plugin) cannot start: \(error)", at: $1) },
                      collector: collector.name)
            }
            perform(instance.machine.spawnFailed(now: at), for: instance)
        }
    }

    // MARK: Reaping

    func handleReaped(_ child: ReapedChild) {
        guard let name = byPID.removeValue(forKey: child.pid), let instance = instances[name],
              instance.pid == child.pid
        else {
            // A reparented orphan (we are the subreaper) or a process of a removed program.
            logger.debug("reaped orphan pid \(child.pid): \(child.status)")
            return
        }
        // A forking daemon's parent exited after naming its child in MAINPID=: the child, now Warden's,
        // is the main process from here on; this exit is not the service's.
        if let pending = instance.pendingMainPID {
            instance.pendingMainPID = nil
            if let stat = ProcReader.readStat(pid: pending.pid), stat.startTime == pending.startTime,
               stat.ppid == wardenPID, stat.state != "Z" {
                logger.debug("\(instance.name): pid \(child.pid) exited (\(child.status)) after naming pid \(pending.pid) in MAINPID")
                switchMainProcess(of: instance, to: pending.pid, startTime: pending.startTime)
                return
            }
        }
        // Computed while the dead pid still names the process group its leftovers may be in.
        let wasStopping = instance.machine.state == .stopping
        let leftovers = wasStopping ? [:] : liveLeftovers(of: instance)
        instance.lastExit = child.status
        instance.pid = nil
        instance.pidfd = nil
        instance.startedAt = nil
        endConversation(with: instance, exit: child.status)
        feed(instance) { $0.exited(child.status, now: $1) }
        if !leftovers.isEmpty { cleanUpOrphans(leftovers, of: instance) }
    }

    // MARK: Timers

    private func armTimer(for instance: Instance) {
        let deadline = instance.machine.deadline
        guard deadline != instance.timerDeadline else { return }
        instance.timer?.cancel()
        instance.timerDeadline = deadline
        guard let deadline else { instance.timer = nil; return }
        let target = epoch + deadline
        let name = instance.name
        instance.timer = Task { [clock] in
            try? await clock.sleep(until: target, tolerance: .milliseconds(1))
            guard !Task.isCancelled else { return }
            self.timerFired(name: name, deadline: deadline)
        }
    }

    private func timerFired(name: String, deadline: Duration) {
        guard let instance = instances[name], instance.timerDeadline == deadline else { return }
        instance.timerDeadline = nil
        instance.timer = nil
        feed(instance) { $0.deadlineReached(now: max($1, deadline)) }
    }
}

/// An error that prevents the supervisor from starting (not a worker failure: those are events).
public struct SupervisorError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
