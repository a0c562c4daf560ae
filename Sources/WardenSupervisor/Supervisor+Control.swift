public import WardenAPI
import WardenConfig
import WardenCore
import WardenLinux

/// A control request waiting for its instances to settle.
/// A control request waiting for its instances. Each instance counts once it has been seen settled, even
/// if it moves on afterwards (a crash-looping worker is RUNNING only for moments): the request ends when
/// every instance has settled at least once, not when all happen to be settled at the same instant.
struct Waiter {
    var names: [String]
    var isSettled: (Instance) -> Bool
    var continuation: CheckedContinuation<Void, Never>
    /// Names already seen settled.
    var settled: Set<String> = []
}

extension Supervisor: SupervisorControl {
    public func status(names: [String]) async throws(ControlError) -> [ProcessStatus] {
        let resolved = names.isEmpty ? order : try resolve(names)
        return resolved.compactMap { instances[$0].map(status(of:)) }
    }

    public func start(names: [String]) async throws(ControlError) -> [ProcessStatus] {
        let resolved = try resolve(names)
        guard !shuttingDown else { throw ControlError(.shuttingDown, message: "warden is shutting down") }
        for name in resolved {
            guard let instance = instances[name] else { continue }
            feed(instance) { $0.start(now: $1, reason: "start-requested") }
        }
        await waitUntil(resolved) { [.running, .fatal, .exited, .stopped].contains($0.machine.state) }
        return try failIfNotRunning(resolved, action: "start")
    }

    public func stop(names: [String]) async throws(ControlError) -> [ProcessStatus] {
        let resolved = try resolve(names)
        var before: [String: Int] = [:]
        withSharedScan {
            for name in resolved {
                guard let instance = instances[name] else { continue }
                instance.leakRestartInProgress = false
                before[name] = instance.stopsCompleted
                feed(instance) { $0.stop(now: $1, reason: "stop-requested") }
            }
        }
        // Done when the process is gone — or when the stop completed and a later start took over.
        await waitUntil(resolved) { instance in
            (!instance.machine.state.hasProcess && instance.machine.state != .backoff)
                || instance.stopsCompleted > before[instance.name, default: Int.max]
        }
        return resolved.compactMap { instances[$0].map(status(of:)) }
    }

    public func restart(names: [String]) async throws(ControlError) -> [ProcessStatus] {
        let resolved = try resolve(names)
        guard !shuttingDown else { throw ControlError(.shuttingDown, message: "warden is shutting down") }
        withSharedScan {
            for name in resolved {
                guard let instance = instances[name] else { continue }
                feed(instance) { $0.restart(now: $1, reason: "manual") }
            }
        }
        // Wait for the stop half first (STOPPING ends), then for the start half.
        await waitUntil(resolved) { $0.machine.state != .stopping }
        await waitUntil(resolved) { [.running, .fatal, .exited, .stopped].contains($0.machine.state) }
        return try failIfNotRunning(resolved, action: "restart")
    }

    public func reload() async throws(ControlError) -> [String] {
        guard !shuttingDown else { throw ControlError(.shuttingDown, message: "warden is shutting down") }
        // systemd: RELOADING=1 … READY=1 brackets the reload, whatever its outcome.
        systemd.reloading()
        defer { if readySent, !shuttingDown { systemd.ready(status: statusSummary()) } }
        let file = configuration.file
        let loaded: WardenConfiguration
        do {
            loaded = try ConfigLoader.load(path: file)
        } catch {
            let lines = error.diagnostics.map(\.description)
            record(WardenEvent(time: RFC3339.now().0, process: nil, event: .reload, reason: "invalid-config",
                               message: lines.joined(separator: "\n")))
            logger.error("reload rejected, keeping the running configuration:\n\(lines.joined(separator: "\n"))")
            throw ControlError(.invalidConfig, message: lines.joined(separator: "\n"))
        }
        guard !shuttingDown else { throw ControlError(.shuttingDown, message: "warden is shutting down") }
        return apply(loaded)
    }

    public func shutdown() async {
        if let requestGroupShutdown { requestGroupShutdown() } else { beginShutdown() }
    }

    // MARK: Reload

    /// Applies a new, valid configuration: new programs start, removed ones stop, changed ones restart,
    /// unchanged ones are not touched.
    private func apply(_ new: WardenConfiguration) -> [String] {
        let diff = ConfigDiff(old: configuration.supervisedPrograms, new: new.supervisedPrograms)
        var notes = diff.summary
        if new.supervisor.stateDirectory != configuration.supervisor.stateDirectory {
            notes.append("state_dir change needs a restart of warden; keeping \(configuration.supervisor.stateDirectory)")
        }
        let old = configuration.supervisor
        if new.supervisor.sampleInterval != old.sampleInterval {
            notes.append("sample_interval \(DurationText.format(old.sampleInterval)) → \(DurationText.format(new.supervisor.sampleInterval))")
        }
        if new.supervisor.shutdownTimeout != old.shutdownTimeout {
            notes.append("shutdown_timeout \(DurationText.format(old.shutdownTimeout)) → \(DurationText.format(new.supervisor.shutdownTimeout))")
        }
        if new.supervisor.logMaxBytes != old.logMaxBytes || new.supervisor.logBackups != old.logBackups {
            notes.append("log rotation \(ByteSize(bytes: old.logMaxBytes)) × \(old.logBackups) → "
                         + "\(ByteSize(bytes: new.supervisor.logMaxBytes)) × \(new.supervisor.logBackups)")
        }
        var supervisorSettings = new.supervisor
        supervisorSettings.stateDirectory = configuration.supervisor.stateDirectory
        configuration = WardenConfiguration(file: configuration.file, supervisor: supervisorSettings, programs: new.programs,
                                            collectors: new.collectors)
        syncTrackers(with: new.collectors)
        eventLog.maxBytes = supervisorSettings.logMaxBytes
        eventLog.backups = supervisorSettings.logBackups
        capture.setRotation(maxBytes: supervisorSettings.logMaxBytes, backups: supervisorSettings.logBackups)
        withSharedScan {
            for name in diff.removed {
                for instanceName in order where instances[instanceName]?.program.name == name { retire(instanceName) }
            }
            for program in diff.changed { replace(program) }
            for program in diff.added { replace(program) }
        }
        rebuildOrder()
        record(WardenEvent(time: RFC3339.now().0, process: nil, event: .reload, reason: "applied",
                           message: notes.isEmpty ? "no changes" : notes.joined(separator: "; ")))
        logger.info("configuration reloaded: \(notes.isEmpty ? "no changes" : notes.joined(separator: "; "))")
        return notes
    }

    /// Installs a new or changed program: instances that no longer exist retire, existing ones get the new
    /// settings and restart gracefully (reason `config-changed`), new ones start if autostart. When only
    /// `numprocs` changed, the instances that stay keep running untouched: a resize adds or retires the
    /// instances at the end (`api:2`, `api:3`…), as supervisord's `update` does with a process group.
    private func replace(_ program: ProgramConfiguration) {
        let names = program.instanceNames
        for name in order where instances[name]?.program.name == program.name && !names.contains(name) {
            retire(name)
        }
        // Instances an earlier reload was retiring that this configuration has again (numprocs 5 → 3 → 4).
        let comingBack = retiring.intersection(names)
        retiring.subtract(names)
        // Starts wait while other instances of the program are still being stopped (a renamed single
        // instance, retired ones): they may hold its ports or files.
        let othersStopping = retiring.contains { instances[$0]?.program.name == program.name }
        func startOrQueue(_ instance: Instance, reason: String) {
            if othersStopping {
                if !pendingStarts.contains(instance.name) { pendingStarts.append(instance.name) }
            } else {
                feed(instance) { $0.start(now: $1, reason: reason) }
            }
        }
        func adopt(_ instance: Instance) {
            instance.program = program
            instance.machine.update(settings: program.machineSettings)
            instance.detector = LeakDetector(configuration: program.leak.detectorConfiguration)
        }
        for (index, name) in names.enumerated() {
            if let instance = instances[name] {
                if comingBack.contains(name) {
                    // It was being stopped: it stays, with the new settings, and starts again (a start
                    // during STOPPING turns the stop into a restart).
                    adopt(instance)
                    if program.autostart { feed(instance) { $0.start(now: $1, reason: "added-by-reload") } }
                    continue
                }
                if instance.program.differsOnlyInNumprocs(from: program) {
                    instance.program = program
                    continue
                }
                let wasActive = instance.machine.state.hasProcess || instance.machine.state == .backoff
                adopt(instance)
                if wasActive {
                    feed(instance) { $0.restart(now: $1, reason: RestartReason.configChanged.rawValue) }
                } else if program.autostart {
                    startOrQueue(instance, reason: RestartReason.configChanged.rawValue)
                }
            } else {
                let instance = Instance(name: name, index: index, program: program)
                instances[name] = instance
                if program.autostart { startOrQueue(instance, reason: "added-by-reload") }
            }
        }
    }

    /// Stops an instance that the configuration no longer has; it is dropped once its tree is gone.
    private func retire(_ name: String) {
        guard let instance = instances[name] else { return }
        retiring.insert(name)
        feed(instance) { $0.stop(now: $1, reason: "removed-by-reload") }
        dropRetired()
    }

    /// Drops retired instances that no longer have a process.
    func dropRetired() {
        for name in retiring {
            guard let instance = instances[name], !instance.machine.state.hasProcess else { continue }
            instance.timer?.cancel()
            instances[name] = nil
            retiring.remove(name)
            previousCPU[name] = nil
        }
        rebuildOrder()
        let waiting = pendingStarts
        pendingStarts = []
        for name in waiting {
            guard let instance = instances[name] else { continue }
            if retiring.contains(where: { instances[$0]?.program.name == instance.program.name }) {
                pendingStarts.append(name)
            } else if !shuttingDown {
                feed(instance) { $0.start(now: $1, reason: "added-by-reload") }
            }
        }
    }

    private func rebuildOrder() {
        let configured = configuration.supervisedPrograms.flatMap(\.instanceNames).filter { instances[$0] != nil }
        let known = Set(configured)
        order = configured + instances.keys.filter { !known.contains($0) }.sorted()
    }

    // MARK: Names and waiting

    /// Resolves `all`, `PROGRAM:*`, a program name and instance names into instance names, in order.
    /// - Throws: `.unknownName` for the first name that matches nothing.
    func resolve(_ names: [String]) throws(ControlError) -> [String] {
        var result: [String] = []
        var seen: Set<String> = []
        let visible = order.filter { !retiring.contains($0) }
        var byProgram: [String: [String]] = [:]
        for name in visible { if let program = instances[name]?.program.name { byProgram[program, default: []].append(name) } }
        var asked: Set<String> = []
        for name in names where asked.insert(name).inserted {
            let matches: [String]
            if name == "all" {
                matches = visible
            } else if name.hasSuffix(":*") {
                matches = byProgram[String(name.dropLast(2))] ?? []
            } else if instances[name] != nil, !retiring.contains(name) {
                matches = [name]
            } else {
                matches = byProgram[name] ?? []
            }
            guard !matches.isEmpty else {
                throw ControlError(.unknownName, field: "names", message: "no such process: \(name)")
            }
            for match in matches where seen.insert(match).inserted { result.append(match) }
        }
        return result
    }

    private func failIfNotRunning(_ names: [String], action: String) throws(ControlError) -> [ProcessStatus] {
        let statuses = names.compactMap { instances[$0].map(status(of:)) }
        let failed = statuses.filter { $0.state != .running }
        if !failed.isEmpty {
            let detail = failed.map { "\($0.name) is \($0.state.rawValue)\($0.lastExitStatus.map { " (\($0))" } ?? "")" }
            throw ControlError(.actionFailed, message: "\(action) failed: " + detail.joined(separator: ", "))
        }
        return statuses
    }

    func waitUntil(_ names: [String], _ settled: @escaping (Instance) -> Bool) async {
        if names.allSatisfy({ instances[$0].map(settled) ?? true }) { return }
        await withCheckedContinuation { continuation in
            waiters.append(Waiter(names: names, isSettled: settled, continuation: continuation,
                                  settled: Set(names.filter { instances[$0].map(settled) ?? true })))
        }
    }

    func resolveWaiters() {
        guard !waiters.isEmpty else { return }
        var pending: [Waiter] = []
        for var waiter in waiters {
            for name in waiter.names where !waiter.settled.contains(name) {
                if instances[name].map(waiter.isSettled) ?? true { waiter.settled.insert(name) }
            }
            if waiter.names.allSatisfy(waiter.settled.contains) {
                waiter.continuation.resume()
            } else {
                pending.append(waiter)
            }
        }
        waiters = pending
    }

    // MARK: Shutdown

    /// Stops every worker in parallel; after `shutdown_timeout` SIGKILLs every tree still alive.
    func beginShutdown() {
        guard !shuttingDown else { return }
        shuttingDown = true
        systemd.stopping()
        systemdWatchdog?.cancel()   // pings stop with supervision; TimeoutStopSec= bounds the shutdown
        logger.info("shutting down: stopping \(order.count) processes")
        record(WardenEvent(time: RFC3339.now().0, process: nil, event: .supervisor, reason: "shutdown"))
        withSharedScan {
            for name in order {
                guard let instance = instances[name] else { continue }
                feed(instance) { $0.stop(now: $1, reason: "shutdown") }
            }
            sweepStrays()
        }
        if !leftovers.isEmpty { ensureStopMonitor() }
        let timeout = configuration.supervisor.shutdownTimeout
        Task { [clock] in
            try? await clock.sleep(for: timeout)
            self.shutdownTimedOut()
        }
        checkShutdownComplete()
    }

    /// The service group was cancelled (SIGQUIT, the control API failed, the graceful shutdown overran):
    /// stop everything now — SIGKILL to every tree without waiting for `stop_timeout`.
    func emergencyStop() {
        logger.warning("cancelled: killing every process tree now")
        beginShutdown()
        shutdownTimedOut()
    }

    private func shutdownTimedOut() {
        guard !shutdownFinished else { return }
        killLeftovers()
        let stopping = order.compactMap { instances[$0] }.filter { $0.machine.state == .stopping }
        logger.warning("shutdown_timeout elapsed: SIGKILL to \(stopping.count) process trees")
        withSharedScan {
            for instance in stopping where !instance.machine.killSent {
                feed(instance) { machine, now in
                    // Bring the stop deadline forward: the machine escalates exactly as at stop_timeout.
                    guard let deadline = machine.deadline else { return [] }
                    return machine.deadlineReached(now: max(now, deadline))
                }
            }
        }
    }

    func checkShutdownComplete() {
        guard shuttingDown, !shutdownFinished else { return }
        guard instances.values.allSatisfy({ !$0.machine.state.hasProcess }), leftovers.isEmpty else { return }
        shutdownFinished = true
        stopMonitor?.cancel()
        for instance in instances.values { instance.timer?.cancel() }
        logger.info("all processes stopped")
        let continuations = shutdownContinuations
        shutdownContinuations = []
        for continuation in continuations { continuation.resume() }
        for waiter in waiters { waiter.continuation.resume() }
        waiters = []
    }
}
