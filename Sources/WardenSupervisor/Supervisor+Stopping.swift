import Glibc
import WardenCore
import WardenLinux

/// Stopping: the stop signal to the group, SIGKILL of the whole tree, and the watch that reports a tree
/// gone (`treeGone`) only when every process of it is gone — a parent that exits fast must not leave its
/// children behind (Circus issue 1044).
extension Supervisor {
    /// A /proc scan (see `StopCoordinator.scan`).
    func scanProcesses(fresh: Bool = false) -> TreeIndex {
        stops.scan(mains: Set(registry.byPID.keys), now: { self.now() }, fresh: fresh)
    }

    /// Runs `body` with one /proc scan shared by everything inside it.
    func withSharedScan(_ body: () -> Void) {
        stops.withSharedScan({ scanProcesses() }, body)
    }

    /// Every live process of `instance`'s tree now (`TreeIndex.members`).
    func treeMembers(of instance: Instance, index: TreeIndex) -> [Int32: UInt64] {
        let tree = instance.tree
        return index.members(root: tree.root, rootStart: tree.rootStart, known: tree.known, name: tree.name)
    }

    func signalGroup(of instance: Instance, signal: Int32) {
        guard let pid = instance.pid else { return }
        let index = scanProcesses()
        instance.stopMembers = treeMembers(of: instance, index: index)
        if instance.stopping == nil { instance.stopping = StopReport() }
        instance.stopping?.saw([pid] + instance.stopMembers.keys.sorted())
        // Members outside the group (setsid/setpgid daemons) are signalled one by one, by verified pidfd.
        let outside = instance.stopMembers.filter { member, _ in
            member != pid && index.table[member].map { $0.pgid != pid } ?? false
        }
        // As systemd does after KillSignal=: SIGCONT too, so a stopped (SIGSTOP, ^Z) process can act on the
        // stop signal instead of sitting out stop_timeout. Harmless to a running process.
        let signals = signal == SIGCONT || signal == SIGKILL ? [signal] : [signal, SIGCONT]
        for sig in signals {
            // setsid at spawn makes pgid == pid; the group reaches every descendant that did not leave it.
            spawning.processes.signalGroup(pid, signal: sig)
            // A main process named by MAINPID= is usually not a group leader: it gets it by pidfd.
            if let entry = index.table[pid], entry.pgid != pid { spawning.processes.signal(pid, pidfd: instance.pidfd, signal: sig) }
            for (member, start) in outside { StopCoordinator.signalVerified(pid: member, startTime: start, signal: sig) }
        }
    }

    func killTree(of instance: Instance) {
        instance.stopMembers = treeMembers(of: instance, index: scanProcesses())
        if let pid = instance.pid { spawning.processes.signal(pid, pidfd: instance.pidfd, signal: SIGKILL) }
        var killed = Set(instance.stopMembers.filter {
            StopCoordinator.signalVerified(pid: $0.key, startTime: $0.value, signal: SIGKILL)
        }.keys)
        if let pid = instance.pid { killed.insert(pid) }   // killed through its pidfd above
        instance.stopping?.saw(killed.sorted())
        instance.stopping?.killed.formUnion(killed)
        let pids = killed.sorted()
        let timeout = shutdown.timedOut
            ? "shutdown_timeout \(DurationText.format(configuration.supervisor.shutdownTimeout))"
            : "stop_timeout \(DurationText.format(instance.program.stopTimeout))"
        logger.warning("\(instance.name): \(timeout) elapsed, SIGKILL sent to \(pids.count) processes",
                       metadata: ["pids": "\(pids)"])
        publish(WardenEvent(time: RFC3339.now().0, process: instance.name, program: instance.program.name, event: .stateChange,
                            oldState: .stopping, newState: .stopping, reason: TransitionReason.stopTimeout,
                            pid: instance.pid,
                            message: "escalated to SIGKILL after \(timeout); \(pids.count) processes killed: \(pids)"))
    }

    /// Starts the /proc watch that completes stops, if it is not running.
    func ensureStopMonitor() {
        guard stops.watch == nil else { return }
        stops.watch = Task { [clock] in
            while !Task.isCancelled {
                try? await clock.sleep(for: StopCoordinator.watchInterval)
                if !self.stopWatchTick() { break }
            }
        }
    }

    /// One scan: refreshes each stopping instance's members and reports the trees that are gone. Returns
    /// whether another scan is needed.
    private func stopWatchTick() -> Bool {
        let stopping = registry.all.filter { $0.machine.state == .stopping }
        guard !stopping.isEmpty || (shutdown.begun && !stops.leftovers.isEmpty) else { stops.watch = nil; return false }
        let index = scanProcesses(fresh: true)
        for instance in stopping {
            instance.stopMembers = treeMembers(of: instance, index: index)
            instance.stopping?.saw(instance.stopMembers.keys.sorted())
            if instance.machine.lifecycle.killSent {
                // Processes forked after the SIGKILL pass (a fork loop) get it too, every tick.
                for (pid, start) in instance.stopMembers { StopCoordinator.signalVerified(pid: pid, startTime: start, signal: SIGKILL) }
            }
            if instance.machine.lifecycle.mainExited && instance.stopMembers.isEmpty {
                if let report = instance.stopping {
                    instance.lastStop = report
                    instance.stopReportPending = true
                }
                instance.stopping = nil
                feed(instance) { $0.treeGone(now: $1) }
            }
        }
        if !stops.leftovers.isEmpty {
            stops.forgetGoneLeftovers(index)
            checkShutdownComplete()
        }
        let more = registry.all.contains { $0.machine.state == .stopping } || (shutdown.begun && !stops.leftovers.isEmpty)
        if !more { stops.watch = nil }
        return more
    }

    /// Live processes of a worker whose main process just died unexpectedly (reparented to us).
    func liveLeftovers(of instance: Instance) -> [Int32: UInt64] {
        // A full /proc scan costs milliseconds with hundreds of workers. Every descendant that outlived the
        // main process was reparented to Warden (the subreaper): when Warden has no child besides the live
        // main processes, nothing was left behind.
        if let children = spawning.processes.children(), !children.contains(where: { registry.byPID[$0] == nil }) {
            return [:]
        }
        // Fresh: an adopted child Warden has now may be younger than a reused scan (a daemon forked and
        // orphaned within milliseconds of a start-up scan would be missed and left running).
        var members = treeMembers(of: instance, index: scanProcesses(fresh: true))
        if let pid = instance.pid { members[pid] = nil }
        return members
    }

    /// Ends a dead worker's leftover descendants (tini issue 236: exactly one generation afterwards):
    /// `stop_signal` now, SIGKILL to survivors after `stop_timeout`.
    func cleanUpOrphans(_ leftovers: [Int32: UInt64], of instance: Instance) {
        let signal = instance.program.stopSignal.number
        for (pid, start) in leftovers { StopCoordinator.signalVerified(pid: pid, startTime: start, signal: signal) }
        publish(WardenEvent(time: RFC3339.now().0, process: instance.name, program: instance.program.name, event: .orphansKilled,
                            reason: EventReason.mainProcessExited,
                            message: "sent \(instance.program.stopSignal) to leftover processes \(leftovers.keys.sorted()); SIGKILL follows after \(DurationText.format(instance.program.stopTimeout))"))
        logger.warning("\(instance.name): main process exited, ending leftover processes \(leftovers.keys.sorted())")
        stops.leftovers.merge(leftovers, uniquingKeysWith: { a, _ in a })
        if shutdown.begun { ensureStopMonitor() }
        let timeout = instance.program.stopTimeout
        Task { [clock] in
            try? await clock.sleep(for: timeout)
            self.killLeftovers(leftovers)
        }
    }

    /// At shutdown: ends every process Warden adopted that no instance accounts for (an orphan whose worker
    /// exited before anything scanned for it, one that cleared its environment) with its descendants:
    /// SIGTERM now, SIGKILL when the shutdown times out.
    func sweepStrays() {
        guard let children = spawning.processes.children() else { return }
        let strays = children.filter { registry.byPID[$0] == nil }
        guard !strays.isEmpty else { return }
        let index = scanProcesses()
        let accounted = Set(registry.all.flatMap { $0.stopMembers.keys })
        var found: [Int32: UInt64] = [:]
        for pid in strays {
            guard let entry = index.table[pid], !entry.isExited else { continue }
            let tree = index.members(root: pid, rootStart: entry.startTime, known: [:], name: "")
            for (member, start) in tree where !accounted.contains(member) && stops.leftovers[member] == nil {
                found[member] = start
            }
        }
        guard !found.isEmpty else { return }
        for (pid, start) in found { StopCoordinator.signalVerified(pid: pid, startTime: start, signal: SIGTERM) }
        logger.warning("shutting down: ending \(found.count) adopted processes no worker accounts for: \(found.keys.sorted())")
        publish(WardenEvent(time: RFC3339.now().0, process: nil, event: .orphansKilled, reason: TransitionReason.shutdown,
                            message: "sent TERM to adopted processes \(found.keys.sorted()); SIGKILL follows at shutdown_timeout"))
        stops.leftovers.merge(found, uniquingKeysWith: { a, _ in a })
        ensureStopMonitor()
    }

    /// SIGKILLs the given leftovers (default: all of them) that are still the processes we saw.
    func killLeftovers(_ which: [Int32: UInt64]? = nil) {
        for (pid, start) in which ?? stops.leftovers {
            StopCoordinator.signalVerified(pid: pid, startTime: start, signal: SIGKILL)
            // During a shutdown the watch drops them once /proc shows them gone.
            if !shutdown.begun { stops.leftovers[pid] = nil }
        }
    }
}
