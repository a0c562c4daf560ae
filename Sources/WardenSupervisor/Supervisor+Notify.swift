public import WardenAPI
import WardenConfig
import WardenCore
import WardenLinux

/// The notify protocol from workers (sd_notify(3)): datagrams from `NotifyServer`, attributed to an
/// instance and fed to its machine; `MAINPID=` is handled here (it needs /proc).
extension Supervisor {
    public func health() async -> HealthStatus {
        var health = HealthStatus(status: "ok", notifyDatagrams: notifyServer.counters, sampling: sampling.counters,
                                  eventSubscribers: events.statistics.map {
                                      EventSubscriberCounts(name: $0.name, delivered: $0.delivered, dropped: $0.dropped)
                                  },
                                  eventsFailedWrites: eventLog.failedWrites)
        let lost = losses
        health.eventsFailedRotations = lost.eventsFailedRotations
        health.outputDroppedBytes = lost.outputDroppedBytes
        health.outputFailedRotations = lost.outputFailedRotations
        let pressure = sampling.pressure
        var victim: String?
        if case .coolingDown(let name, _, _) = pressure.state { victim = name }
        health.memoryPressure = MemoryPressureHealth(
            state: pressure.state.condition, file: pressure.policy.file, reading: pressure.last,
            thresholdPercent: pressure.policy.fullAvg10Percent, lastVictim: victim)
        return health
    }

    /// What could not be written so far (read without the actor: the counters are atomics).
    public nonisolated var losses: WardenLosses {
        WardenLosses(eventsFailedWrites: eventLog.failedWrites, eventsFailedRotations: eventLog.failedRotations,
                     outputDroppedBytes: capture.droppedBytes, outputFailedRotations: capture.failedRotations)
    }

    /// Binds the notify socket. A failure is logged; programs with `ready = "notify"` then cannot start.
    func openNotifySocket() {
        do { try notifyServer.open { await self.handleNotify($0) } } catch {
            logger.error("cannot open the notify socket for workers: \(error); programs with ready = \"notify\" cannot start")
        }
    }

    /// Notify variables for a worker of `program` (see `NotifyServer.environment`), rebinding the socket
    /// first if its file was removed or replaced (a second warden, a cleanup script).
    func notifyEnvironment(for program: ProgramConfiguration) -> [String: String]? {
        if program.ready == .notify || program.watchdog != nil, !notifyServer.isBound {
            logger.warning("notify socket \(notifyServer.path) is not bound or was removed or replaced; binding a new one")
            do { try notifyServer.rebind { await self.handleNotify($0) } } catch {
                logger.error("cannot bind the notify socket: \(error)")
            }
        }
        return notifyServer.environment(for: program)
    }

    func handleNotify(_ datagram: NotifyDatagram) {
        guard let pid = datagram.pid, !datagram.truncated else {
            notifyServer.counters.malformed += 1
            return
        }
        let message: NotifyMessage
        do { message = try NotifyMessage.parse(datagram.bytes) } catch {
            notifyServer.counters.malformed += 1
            logger.debug("notify datagram from pid \(pid) dropped: \(error)")
            return
        }
        guard let instance = notifySender(pid), instance.machine.state.hasProcess else {
            notifyServer.counters.unknownSender += 1
            logger.debug("notify datagram from pid \(pid) ignored: not a worker process allowed to notify")
            return
        }
        notifyServer.counters.accepted += 1
        for command in NotifyCommand.commands(of: message) {
            switch command {
            case .mainPID(let newPID): acceptMainPID(newPID, from: pid, for: instance)
            case .reloading: logger.info("\(instance.name): reloading (RELOADING=1)")
            default: feed(instance) { $0.notified(command, now: $1) }
            }
        }
    }

    /// The instance `pid` may notify for: its main process, or with `notify_access = "all"` any process of
    /// its tree.
    private func notifySender(_ pid: Int32) -> Instance? {
        if let instance = registry.owner(ofMain: pid) { return instance }
        guard let owner = treeOwner(of: pid), owner.program.notifyAccess == .all else { return nil }
        return owner
    }

    /// The instance whose tree (`TreeIndex.members`) contains the live process `pid`, or `nil`. A process
    /// younger than the last scan (a daemon that forked and notifies at once) gets a fresh scan.
    private func treeOwner(of pid: Int32) -> Instance? {
        guard pid != spawning.wardenPID else { return nil }
        var index = scanProcesses()
        if index.table[pid] == nil { index = scanProcesses(fresh: true) }
        let trees = registry.all.filter { $0.pid != nil }.map(\.tree)
        return index.owner(of: pid, among: trees).flatMap { registry[$0] }
    }

    /// `MAINPID=`: honoured with systemd's checks — the pid is alive, is not Warden, and belongs to the
    /// instance's tree. In addition it must be Warden's child (a daemon's final process, reparented to
    /// Warden as subreaper) so its exit is seen like every other main process's; a child of the main
    /// process becomes the main process when its parent exits.
    private func acceptMainPID(_ newPID: Int32, from sender: Int32, for instance: Instance) {
        guard newPID != instance.pid else { return }
        func refuse(_ why: String) {
            // One event per distinct refusal: a worker repeating a bad MAINPID= must not flood the log.
            let key = "\(newPID):\(why)"
            guard instance.lastMainPIDRefusal != key else { return }
            instance.lastMainPIDRefusal = key
            logger.warning("\(instance.name): MAINPID=\(newPID) refused: \(why)")
            publish(WardenEvent(time: RFC3339.now().0, process: instance.name, program: instance.program.name, event: .notify,
                                reason: EventReason.mainPIDRefused, pid: newPID, message: why))
        }
        guard newPID != spawning.wardenPID, let stat = ProcReader.readStat(pid: newPID), !stat.isExited else {
            return refuse("no such process")
        }
        guard treeOwner(of: newPID) === instance else { return refuse("not in the process tree of \(instance.name)") }
        guard stat.ppid == spawning.wardenPID else {
            guard stat.ppid == instance.pid else {
                return refuse("its parent is pid \(stat.ppid), neither warden nor the main process")
            }
            instance.pendingMainPID = (newPID, stat.startTime)
            logger.info("\(instance.name): MAINPID=\(newPID) will be the main process once pid \(stat.ppid) exits")
            return
        }
        switchMainProcess(of: instance, to: newPID, startTime: stat.startTime)
    }

    /// Makes `newPID` (Warden's child, a member of the tree) the instance's main process.
    func switchMainProcess(of instance: Instance, to newPID: Int32, startTime: UInt64) {
        guard let pidfd = try? PIDFD(pid: newPID) else {
            logger.warning("\(instance.name): MAINPID=\(newPID) refused: pidfd_open failed")
            return
        }
        instance.pendingMainPID = nil
        if let old = instance.pid { registry.byPID[old] = nil }
        instance.pid = newPID
        instance.pidfd = pidfd
        instance.startTicks = startTime
        instance.maxFDs = ResourceLimits.openFileLimit(of: newPID)?.soft
        registry.byPID[newPID] = instance.name
        recordWorker(instance, pid: newPID, startTime: startTime)
        publish(WardenEvent(time: RFC3339.now().0, process: instance.name, program: instance.program.name, event: .notify,
                            reason: EventReason.mainPID, pid: newPID, message: "main process is now pid \(newPID)"))
        logger.info("\(instance.name): main process is now pid \(newPID) (MAINPID)")
    }
}
