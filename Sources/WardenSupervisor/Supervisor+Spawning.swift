import Glibc
import WardenConfig
import WardenCore
import WardenLinux

/// Spawning a worker (the `.spawn` action) and seeing its main process reaped.
extension Supervisor {
    /// Spawns `instance`'s process. `starting` is its `state-change` to STARTING, published here once the
    /// pid is known (or the spawn failed), so that the event carries the new process's pid. When the spawn
    /// fails because Warden's fd table is full (EMFILE), the fd reserve is let go and the spawn tried once
    /// more; a failure for lack of resources (EMFILE, ENFILE, EAGAIN, ENOMEM) is transient: BACKOFF and
    /// retry, not counted toward `start_retries`.
    func spawn(_ instance: Instance, starting: WorkerEvent? = nil) {
        let failure = spawnOnce(instance, starting: starting)
        if failure == EMFILE, fdReserve.count > 0, instance.machine.state == .starting, instance.pid == nil {
            fdReserve.release()
            logger.warning("\(instance.name): out of file descriptors; released the reserve of \(fdReserve.size) to spawn")
            _ = spawnOnce(instance, starting: starting, retry: true)
        }
        fdReserve.refill()
    }

    /// One spawn attempt; returns the errno of a failure that left the instance STARTING for a retry.
    private func spawnOnce(_ instance: Instance, starting: WorkerEvent?, retry: Bool = false) -> Int32? {
        let program = instance.program
        let at = now()
        var announced = false
        func announceStarting() {
            if let starting, !announced { record(starting, of: instance) }
            announced = true
        }
        func failed(_ failure: SpawnFailure, transient: Bool = false) -> Int32? {
            announceStarting()
            logger.error("\(instance.name): \(failure)")
            if let collector = program.collector { pluginFailed(collector, "plugin \(collector.plugin): \(failure)") }
            perform(instance.machine.spawnFailed(now: at, reason: failure.reason, cause: failure.description, transient: transient),
                    for: instance)
            return nil
        }
        if let problem = Self.directoryProblem(program.directory) { return failed(problem) }
        // A relative command[0] with a `/` is relative to the config file's directory, as every path in it.
        let (search, prefer, base) = (spawning.baseEnvironment["PATH"], spawning.executableDirectory, configuration.directory)
        guard let executable = ExecutableResolver.resolve(
            program.command[0], searchPath: search, preferDirectory: prefer, workingDirectory: base)
        else {
            return failed(ExecutableResolver.notFound(
                program.command[0], searchPath: search, preferDirectory: prefer, workingDirectory: base))
        }
        var environment = spawning.baseEnvironment
        for (key, value) in program.environment { environment[key] = value }
        environment[TreeIndex.instanceVariable] = instance.name
        environment["WARDEN_PROCESS_INDEX"] = "\(instance.index)"
        environment["WARDEN_PROGRAM_NAME"] = program.name
        guard let notifyVariables = notifyEnvironment(for: program) else { return failed(.notifySocketUnavailable) }
        environment.merge(notifyVariables) { $1 }
        // With a watchdog the worker must find its own pid in WATCHDOG_PID (sd_watchdog_enabled(3));
        // warden-exec sets it and execs the program, keeping the pid.
        var executablePath = executable
        var arguments = program.command
        if program.watchdog != nil, let shim = spawning.execShim {
            executablePath = shim
            arguments = ["warden-exec", executable] + program.command
        }
        let state = configuration.supervisor.stateDirectory
        if instance.plugin != nil { endConversation(with: instance, exit: nil) }
        do {
            let out: Int32, err: Int32
            var input: Int32? = nil
            var link: PluginLink? = nil
            if program.collector != nil {
                // A plugin's stdio is its protocol channel (stdout) and its log (stderr, to Warden's log).
                let channel = try plugins.makeChannel(generation: instance.spawns + 1)
                (input, out, err, link) = (channel.stdin, channel.stdout, channel.stderr, channel.link)
            } else {
                // The logs directory may have been removed while Warden runs (a cleanup script, `rm -rf
                // state_dir`): recreate it rather than fail every later spawn.
                if access(state + "/logs", F_OK) != 0 {
                    for dir in StateDirectory.create(state).created { logger.warning("recreated \(dir), which had been removed") }
                }
                let logs = state + "/logs/" + instance.name
                out = try capture.makePipe(logPath: logs + ".out.log", timestamps: program.logTimestamps, announced: true)
                do {
                    err = try capture.makePipe(logPath: logs + ".err.log", timestamps: program.logTimestamps, announced: true)
                } catch {
                    capture.closeWriteEnd(out); throw error
                }
            }
            defer {
                if link != nil { [out, err, input!].forEach { _ = close($0) } } else { capture.closeWriteEnd(out); capture.closeWriteEnd(err) }
            }
            let spawned: SpawnedProcess
            do {
                spawned = try spawning.processes.spawn(SpawnRequest(
                    executablePath: executablePath, arguments: arguments, environment: environment,
                    directory: program.directory, stdoutFD: out, stderrFD: err, stdinFD: input))
            } catch {
                link?.tearDown()
                throw error
            }
            instance.pid = spawned.pid
            if link == nil {
                let marker = CapturedOutputFormat.startMarker(process: instance.name, pid: spawned.pid)
                capture.announce(marker, onWriteEnd: out)
                capture.announce(marker, onWriteEnd: err)
            }
            instance.pidfd = spawned.pidfd
            instance.sessionID = spawned.pid
            instance.startTicks = ProcReader.readStat(pid: spawned.pid)?.startTime
            instance.maxFDs = ResourceLimits.openFileLimit(of: spawned.pid)?.soft
            instance.startedAt = RFC3339.now().1
            instance.startedAtMonotonic = at
            instance.spawns += 1
            instance.knownTree = [:]
            recordWorker(instance, pid: spawned.pid, startTime: instance.startTicks)
            sampling.previousCPU[instance.name] = nil   // CPU % starts over with the new process
            registry.byPID[spawned.pid] = instance.name
            logger.debug("\(instance.name): spawned pid \(spawned.pid)")
            if let link, let collector = program.collector {
                instance.plugin = link
                startConversation(with: instance, collector: collector)
            }
            announceStarting()
            workerSpawned(instance)
            perform(instance.machine.spawned(now: at), for: instance)
            return nil
        } catch {
            let code = (error as? SystemCallError)?.errno ?? 0
            if code == EMFILE && !retry && fdReserve.count > 0 { return EMFILE }
            let transient = [EMFILE, ENFILE, EAGAIN, ENOMEM].contains(code)
            if transient {
                logger.warning("\(instance.name): out of resources (\(String(cString: strerror(code)))): retrying after the backoff, not counted as a failed start")
            }
            return failed(Self.directoryProblem(program.directory) ?? .spawnError("\(error)"), transient: transient)
        }
    }

    /// What is wrong with a program's `directory` now (missing, not a directory, not searchable), or `nil`.
    static func directoryProblem(_ directory: String?) -> SpawnFailure? {
        guard let directory else { return nil }
        var info = stat()
        guard stat(directory, &info) == 0 else {
            return errno == ENOENT ? .directoryMissing(directory)
                : .directoryUnusable(directory, problem: String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return .directoryUnusable(directory, problem: "not a directory") }
        guard access(directory, X_OK) == 0 else {
            return .directoryUnusable(directory, problem: String(cString: strerror(errno)))
        }
        return nil
    }

    /// How long the exit of a main process that may use the notify protocol waits before it is handled:
    /// datagrams it sent just before exiting (`MAINPID=` of a forking daemon, `READY=1`) are read first, as
    /// systemd reads pending notify messages before it handles a SIGCHLD. The socket and the reaper are
    /// separate sources with no order between them.
    static let notifyExitGrace: Duration = .milliseconds(25)

    /// A reaped child: the exit of a main process, or an orphan.
    func reaped(_ child: ReapedChild) {
        if let instance = registry.owner(ofMain: child.pid), instance.program.ready == .notify || instance.program.watchdog != nil {
            Task { [clock] in
                try? await clock.sleep(for: Self.notifyExitGrace)
                self.handleReaped(child)
            }
            return
        }
        handleReaped(child)
    }

    func handleReaped(_ child: ReapedChild) {
        guard let instance = registry.owner(ofMain: child.pid) else {
            registry.byPID[child.pid] = nil
            // A reparented orphan (we are the subreaper) or a process of a removed program.
            logger.debug("reaped orphan pid \(child.pid): \(child.status)")
            return
        }
        registry.byPID[child.pid] = nil
        // A forking daemon's parent exited after naming its child in MAINPID=: the child, now Warden's,
        // is the main process from here on; this exit is not the service's.
        if let pending = instance.pendingMainPID {
            instance.pendingMainPID = nil
            if let stat = ProcReader.readStat(pid: pending.pid), stat.startTime == pending.startTime,
               stat.ppid == spawning.wardenPID, !stat.isExited {
                logger.debug("\(instance.name): pid \(child.pid) exited (\(child.status)) after naming pid \(pending.pid) in MAINPID")
                switchMainProcess(of: instance, to: pending.pid, startTime: pending.startTime)
                return
            }
        }
        // Computed while the dead pid still names the process group its leftovers may be in.
        let leftovers = instance.machine.state == .stopping ? [:] : liveLeftovers(of: instance)
        instance.pid = nil
        instance.pidfd = nil
        instance.startedAt = nil
        endConversation(with: instance, exit: child.status)
        feed(instance) { $0.exited(child.status, now: $1) }
        if !leftovers.isEmpty { cleanUpOrphans(leftovers, of: instance) }
    }
}
