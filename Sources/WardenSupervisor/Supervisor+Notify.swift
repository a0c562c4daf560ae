public import WardenAPI
import WardenConfig
import WardenCore
import WardenLinux

extension Supervisor {
    public func health() async -> HealthStatus {
        HealthStatus(status: "ok", notifyDatagrams: notifyCounters, sampling: samplingCounters)
    }

    /// Path of the notify socket offered to workers (`NOTIFY_SOCKET`).
    var notifySocketPath: String { configuration.supervisor.stateDirectory + "/notify.sock" }

    /// Binds the notify socket and starts consuming its datagrams. A failure is logged; programs with
    /// `ready = "notify"` then fail to start (see `notifyEnvironment`).
    func openNotifySocket() {
        do {
            let socket = try NotifySocket(path: notifySocketPath)
            notifySocket = socket
            notifyConsumer = Task {
                for await datagram in socket.datagrams {
                    self.handleNotify(datagram)
                    socket.consumed()
                }
            }
        } catch {
            logger.error("cannot open the notify socket for workers: \(error); programs with ready = \"notify\" cannot start")
        }
    }

    func closeNotifySocket() {
        notifySocket?.close()
        notifyConsumer?.cancel()
    }

    /// Environment entries a worker of `program` gets for the notify protocol, or `nil` when the program
    /// needs the socket and Warden has none. Only programs that use it (ready = "notify", a watchdog)
    /// get `NOTIFY_SOCKET`, as systemd sets it only for `Type=notify` services or with `NotifyAccess=`.
    func notifyEnvironment(for program: ProgramConfiguration) -> [String: String]? {
        let wanted = program.ready == .notify || program.watchdog != nil
        guard wanted else { return [:] }
        // Someone deleted or replaced STATE_DIR/notify.sock (a second warden, a cleanup script): bind a new
        // one, or the worker would get a path nobody listens on.
        if notifySocket?.fileIsOurs != true {
            // The new socket is bound before the old one is closed, so it cannot get the old descriptor
            // number while the old Dispatch read source is still being cancelled.
            let old = notifySocket
            let oldConsumer = notifyConsumer
            if let old { logger.warning("notify socket \(old.path) was removed or replaced; binding a new one") }
            notifySocket = nil
            openNotifySocket()
            old?.close()
            oldConsumer?.cancel()
        }
        guard let socket = notifySocket else { return nil }
        var environment = ["NOTIFY_SOCKET": socket.path]
        if let period = program.watchdog {
            environment["WATCHDOG_USEC"] = "\(max(1, period.components.seconds * 1_000_000 + period.components.attoseconds / 1_000_000_000_000))"
        }
        return environment
    }

    // MARK: Receiving

    func handleNotify(_ datagram: NotifyDatagram) {
        guard let pid = datagram.pid, !datagram.truncated else {
            notifyCounters.malformed += 1
            return
        }
        let message: NotifyMessage
        do { message = try NotifyMessage.parse(datagram.bytes) } catch {
            notifyCounters.malformed += 1
            logger.debug("notify datagram from pid \(pid) dropped: \(error)")
            return
        }
        guard let instance = notifySender(pid), instance.machine.state.hasProcess else {
            notifyCounters.unknownSender += 1
            logger.debug("notify datagram from pid \(pid) ignored: not a worker process allowed to notify")
            return
        }
        notifyCounters.accepted += 1
        for command in NotifyCommand.commands(of: message) {
            apply(command, from: pid, to: instance)
        }
    }

    /// The instance `pid` may notify for: its main process, or with `notify_access = "all"` any process of
    /// its tree (a descendant, a member of its session, or a process seen in its tree by the sampler).
    private func notifySender(_ pid: Int32) -> Instance? {
        if let name = byPID[pid], let instance = instances[name], instance.pid == pid { return instance }
        guard let owner = treeOwner(of: pid), owner.program.notifyAccess == .all else { return nil }
        return owner
    }

    /// The instance whose tree contains `pid` (not its main process), or `nil`.
    private func treeOwner(of pid: Int32) -> Instance? {
        guard pid != wardenPID, let stat = ProcReader.readStat(pid: pid) else { return nil }
        // Workers are session leaders (setsid at spawn); a daemon that called setsid again is found by
        // its ancestry or by the sampler's record of the tree.
        for instance in instances.values where instance.sessionID == stat.session && instance.pid != nil {
            return instance
        }
        var parent = stat.ppid
        for _ in 0..<32 {
            guard parent > 1, parent != wardenPID else { break }
            if let name = byPID[parent], let instance = instances[name] { return instance }
            guard let next = ProcReader.readStat(pid: parent) else { break }
            parent = next.ppid
        }
        for instance in instances.values where instance.knownTree[pid] == stat.startTime { return instance }
        // A daemon reparented to Warden (double fork) before the sampler saw it: its environment still
        // names the worker that made it.
        if stat.ppid == wardenPID, let name = ProcessTable.environmentValue(pid: pid, key: "WARDEN_PROCESS_NAME"),
           let instance = instances[name], instance.pid != nil {
            return instance
        }
        return nil
    }

    private func apply(_ command: NotifyCommand, from pid: Int32, to instance: Instance) {
        switch command {
        case .mainPID(let newPID):
            acceptMainPID(newPID, from: pid, for: instance)
        case .ready:
            feed(instance) { $0.ready(now: $1) }
        case .reloading:
            logger.info("\(instance.name): reloading (RELOADING=1)")
        case .stopping:
            feed(instance) { $0.stoppingNotified(now: $1) }
        case .status(let text):
            if instance.statusText != text {
                instance.statusText = text
            }
        case .errno(let number):
            guard instance.notifyErrno != number else { return }   // recorded once per change
            instance.notifyErrno = number
            record(WardenEvent(time: RFC3339.now().0, process: instance.name, event: .notify,
                               reason: "errno", pid: pid, message: "ERRNO=\(number)"))
        case .watchdogPing:
            instance.lastWatchdogPing = now()
            feed(instance) { $0.watchdogPing(now: $1) }
        case .watchdogTrigger:
            instance.watchdogTriggered = true
            feed(instance) { $0.watchdogTrigger(now: $1) }
        case .extendTimeout(let usec):
            feed(instance) { $0.extendTimeout(by: .microseconds(Int64(clamping: usec)), now: $1) }
        }
    }

    /// `MAINPID=`: honoured with systemd's checks — the sender may notify for the instance, the pid is
    /// alive, is not Warden, and belongs to the instance's tree. In addition the new main process must be
    /// Warden's child (typically a daemon's final process, reparented to Warden as subreaper), so that its
    /// exit is seen through SIGCHLD like every other main process's.
    private func acceptMainPID(_ newPID: Int32, from sender: Int32, for instance: Instance) {
        guard newPID != instance.pid else { return }
        func refuse(_ why: String) {
            // One event per distinct refusal: a worker repeating a bad MAINPID= must not flood the log.
            let key = "\(newPID):\(why)"
            guard instance.lastMainPIDRefusal != key else { return }
            instance.lastMainPIDRefusal = key
            logger.warning("\(instance.name): MAINPID=\(newPID) refused: \(why)")
            record(WardenEvent(time: RFC3339.now().0, process: instance.name, event: .notify,
                               reason: "mainpid-refused", pid: newPID, message: why))
        }
        guard newPID != wardenPID, let stat = ProcReader.readStat(pid: newPID), stat.state != "Z" else {
            return refuse("no such process")
        }
        guard treeOwner(of: newPID) === instance else { return refuse("not in the process tree of \(instance.name)") }
        guard stat.ppid == wardenPID else {
            // The classic daemon: the main process forks, names its child, exits. The child becomes
            // Warden's (subreaper) the moment its parent dies; the switch happens then (`handleReaped`).
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
        if let old = instance.pid { byPID[old] = nil }
        instance.pid = newPID
        instance.pidfd = pidfd
        instance.startTicks = startTime
        byPID[newPID] = instance.name
        record(WardenEvent(time: RFC3339.now().0, process: instance.name, event: .notify,
                           reason: "mainpid", pid: newPID, message: "main process is now pid \(newPID)"))
        logger.info("\(instance.name): main process is now pid \(newPID) (MAINPID)")
    }
}
