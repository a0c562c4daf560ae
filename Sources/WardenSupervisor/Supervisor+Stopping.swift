import Glibc
import WardenCore
import WardenLinux

/// Stopping: the stop signal to the group, SIGKILL of the whole tree after `stop_timeout`, and the
/// watch that ends STOPPING only when every process of the tree is gone (a parent that exits fast must
/// not leave its children behind — Circus issue 1044).
extension Supervisor {
    /// How often the stop monitor re-scans /proc while some instance is STOPPING.
    static let stopScanInterval: Duration = .milliseconds(20)

    func signalGroup(of instance: Instance, signal: Int32) {
        guard let pid = instance.pid else { return }
        let index = scanProcesses()
        instance.stopMembers = treeMembers(of: instance, index: index)
        // setsid at spawn makes pgid == pid; the group reaches every descendant that did not leave it.
        _ = try? Signals.sendToGroup(pid, signal: signal)
        // A main process named by MAINPID= (a daemon's final process) is usually not a group leader: the
        // group signal missed it, so it gets the signal through its pidfd.
        if let entry = index.table[pid], entry.pgid != pid, let pidfd = instance.pidfd {
            _ = try? pidfd.signal(signal)
            if signal != SIGCONT && signal != SIGKILL { _ = try? pidfd.signal(SIGCONT) }
        }
        // Members that left the group (setsid/setpgid daemons) get the stop signal too.
        for (member, start) in instance.stopMembers where member != pid {
            if let entry = index.table[member], entry.pgid != pid {
                signalVerified(pid: member, startTime: start, signal: signal)
            }
        }
        // As systemd does after KillSignal=: SIGCONT, so that a stopped (SIGSTOP, ^Z) process can act on
        // the stop signal instead of sitting out stop_timeout. Harmless to a running process.
        if signal != SIGCONT && signal != SIGKILL {
            _ = try? Signals.sendToGroup(pid, signal: SIGCONT)
            for (member, start) in instance.stopMembers where member != pid {
                if let entry = index.table[member], entry.pgid != pid {
                    signalVerified(pid: member, startTime: start, signal: SIGCONT)
                }
            }
        }
    }

    func killTree(of instance: Instance) {
        instance.stopMembers = treeMembers(of: instance, index: scanProcesses())
        var killed: [Int32] = []
        if let pidfd = instance.pidfd { _ = try? pidfd.signal(9) }
        for (member, start) in instance.stopMembers where signalVerified(pid: member, startTime: start, signal: 9) {
            killed.append(member)
        }
        logger.warning("\(instance.name): stop_timeout elapsed, SIGKILL sent to \(killed.count) processes",
                       metadata: ["pids": "\(killed.sorted())"])
        record(WardenEvent(time: RFC3339.now().0, process: instance.name, event: .stateChange,
                           oldState: .stopping, newState: .stopping, reason: "stop-timeout",
                           pid: instance.pid,
                           message: "escalated to SIGKILL after \(DurationText.format(instance.program.stopTimeout)); \(killed.count) processes killed: \(killed.sorted())"))
    }

    /// Starts the /proc watch that completes stops, if it is not running.
    func ensureStopMonitor() {
        guard stopMonitor == nil else { return }
        stopMonitor = Task { [clock] in
            while !Task.isCancelled {
                try? await clock.sleep(for: Self.stopScanInterval)
                if !self.stopMonitorTick() { break }
            }
        }
    }

    /// One scan: refreshes each stopping instance's members and completes the stops whose main process
    /// was reaped and whose tree is empty. Returns whether another scan is needed.
    private func stopMonitorTick() -> Bool {
        let stopping = order.compactMap { instances[$0] }.filter { $0.machine.state == .stopping }
        guard !stopping.isEmpty || (shuttingDown && !leftovers.isEmpty) else { stopMonitor = nil; return false }
        lastScan = nil
        let index = scanProcesses()
        for instance in stopping {
            instance.stopMembers = treeMembers(of: instance, index: index)
            if instance.machine.killSent {
                // Processes forked after the SIGKILL pass (a fork loop) get it too, every tick, until
                // the tree is empty.
                for (pid, start) in instance.stopMembers { signalVerified(pid: pid, startTime: start, signal: 9) }
            }
            if instance.machine.mainExited && instance.stopMembers.isEmpty {
                feed(instance) { $0.treeGone(now: $1) }
            }
        }
        if !leftovers.isEmpty {
            leftovers = leftovers.filter { pid, start in
                guard let entry = index.table[pid], entry.state != "Z" else { return false }
                return entry.startTime == start
            }
            checkShutdownComplete()
        }
        let more = order.contains { instances[$0]?.machine.state == .stopping } || (shuttingDown && !leftovers.isEmpty)
        if !more { stopMonitor = nil }
        return more
    }

    /// Live processes of a worker whose main process just died unexpectedly (reparented to us).
    func liveLeftovers(of instance: Instance) -> [Int32: UInt64] {
        // A full /proc scan costs milliseconds with hundreds of workers (once per exit: a crash loop of
        // many workers would scan all the time). Every descendant that outlived the main process was
        // reparented to Warden (the subreaper), so it is one of Warden's children, or below one: when
        // Warden has no child besides the live main processes, nothing was left behind.
        if let children = ProcessTable.childrenOfSelf(), !children.contains(where: { byPID[$0] == nil }) {
            return [:]
        }
        var members = treeMembers(of: instance, index: scanProcesses())
        if let pid = instance.pid { members[pid] = nil }
        return members
    }

    /// Ends a dead worker's leftover descendants (tini issue 236: exactly one generation afterwards):
    /// `stop_signal` now, SIGKILL to survivors after `stop_timeout`.
    func cleanUpOrphans(_ leftovers: [Int32: UInt64], of instance: Instance) {
        let signal = instance.program.stopSignal.number
        for (pid, start) in leftovers { signalVerified(pid: pid, startTime: start, signal: signal) }
        record(WardenEvent(time: RFC3339.now().0, process: instance.name, event: .orphansKilled,
                           reason: "main-process-exited",
                           message: "sent \(instance.program.stopSignal) to leftover processes \(leftovers.keys.sorted()); SIGKILL follows after \(DurationText.format(instance.program.stopTimeout))"))
        logger.warning("\(instance.name): main process exited, ending leftover processes \(leftovers.keys.sorted())")
        self.leftovers.merge(leftovers, uniquingKeysWith: { a, _ in a })
        if shuttingDown { ensureStopMonitor() }
        let timeout = instance.program.stopTimeout
        Task { [clock] in
            try? await clock.sleep(for: timeout)
            self.killLeftovers(leftovers)
        }
    }

    /// At shutdown: ends every process Warden adopted that no instance accounts for — an orphan whose
    /// worker exited before anything scanned for it, one that cleared its environment — with its
    /// descendants: SIGTERM now, SIGKILL when the shutdown times out. Warden exits only when they are gone,
    /// so no process of any tree outlives it.
    func sweepStrays() {
        guard let children = ProcessTable.childrenOfSelf() else { return }
        let strays = children.filter { byPID[$0] == nil }
        guard !strays.isEmpty else { return }
        let index = scanProcesses()
        let accounted = Set(instances.values.flatMap { $0.stopMembers.keys })
        var found: [Int32: UInt64] = [:]
        for pid in strays {
            guard let entry = index.table[pid], entry.state != "Z" else { continue }
            let tree = index.members(root: pid, rootStart: entry.startTime, known: [:], name: "")
            for (member, start) in tree where !accounted.contains(member) && leftovers[member] == nil {
                found[member] = start
            }
        }
        guard !found.isEmpty else { return }
        for (pid, start) in found { signalVerified(pid: pid, startTime: start, signal: SIGTERM) }
        logger.warning("shutting down: ending \(found.count) adopted processes no worker accounts for: \(found.keys.sorted())")
        record(WardenEvent(time: RFC3339.now().0, process: nil, event: .orphansKilled, reason: "shutdown",
                           message: "sent TERM to adopted processes \(found.keys.sorted()); SIGKILL follows at shutdown_timeout"))
        leftovers.merge(found, uniquingKeysWith: { a, _ in a })
        ensureStopMonitor()
    }

    /// SIGKILLs the given leftovers (default: all of them) that are still the processes we saw.
    func killLeftovers(_ which: [Int32: UInt64]? = nil) {
        for (pid, start) in which ?? leftovers {
            signalVerified(pid: pid, startTime: start, signal: 9)
            // During a shutdown the stop monitor drops them once /proc shows them gone.
            if !shuttingDown { leftovers[pid] = nil }
        }
    }

    /// Every live process of `instance`'s tree now (see `TreeIndex.members`).
    func treeMembers(of instance: Instance, index: TreeIndex) -> [Int32: UInt64] {
        index.members(
            root: instance.pid, rootStart: instance.startTicks,
            known: instance.knownTree.merging(instance.stopMembers, uniquingKeysWith: { a, _ in a }),
            name: instance.name)
    }

    /// A fresh /proc scan, indexed.
    ///
    /// A scan younger than `scanReuse`, or than four times what the last scan cost, is reused: requests
    /// that come one after another (hundreds of stop timeouts expiring together, each in its own actor
    /// turn) then spend at most a fifth of the time scanning, however many processes the host has. A
    /// process forked since is still reached by the group signal and by the stop monitor's next scan.
    func scanProcesses() -> TreeIndex {
        if let sharedScan { return sharedScan }
        let at = now()
        if let last = lastScan, at - last.at < max(Self.scanReuse, lastScanCost * 4) { return last.index }
        let index = TreeIndex(table: ProcessTable.snapshot(), mains: Set(byPID.keys), wardenPID: wardenPID)
        lastScan = (index, at)
        lastScanCost = now() - at
        return index
    }

    /// Runs `body` with one /proc scan shared by every `scanProcesses()` inside it. A loop that signals
    /// hundreds of instances in one actor turn (shutdown, `stop all`, a reload) would otherwise scan /proc
    /// — a stat read per process on the host — once per instance: O(instances × processes), seconds with
    /// 500 workers. Processes forked after the scan are reached by the group signal, and by the stop
    /// monitor's next scan (every `stopScanInterval`), as with any scan.
    func withSharedScan(_ body: () -> Void) {
        let outer = sharedScan
        if outer == nil { sharedScan = scanProcesses() }
        defer { sharedScan = outer }
        body()
    }

    /// How long a /proc scan may be reused (shorter than `stopScanInterval`, so each monitor tick
    /// sees fresh data).
    static let scanReuse: Duration = .milliseconds(5)

    /// Sends `signal` to `pid` only if it is still the process that started at `startTime`: the pidfd is
    /// opened first and the identity checked after, so the signal cannot reach a process that reused the
    /// pid. Returns whether the signal was sent.
    @discardableResult
    func signalVerified(pid: Int32, startTime: UInt64, signal: Int32) -> Bool {
        guard let pidfd = try? PIDFD(pid: pid) else { return false }
        guard ProcReader.sample(pid: pid)?.startTime == startTime else { return false }
        return (try? pidfd.signal(signal)) == .delivered
    }
}
