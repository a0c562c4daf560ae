import WardenCore
import WardenLinux

/// One sampled instance: the main process and the totals over its tree.
struct InstanceSample: Sendable {
    var name: String
    var pid: Int32
    var at: Duration
    var main: ProcessSample?
    var rssBytes: UInt64 = 0
    var fds = 0
    var threads = 0
    var cpuTicks: UInt64 = 0
    var members: [Int32: UInt64] = [:]
}

/// What the sampler needs to know about one instance, copied out of the actor.
struct SamplingTarget: Sendable {
    var name: String
    var pid: Int32
    var startTicks: UInt64?
    var known: [Int32: UInt64]
}

/// Sampling: every `sample_interval`, read /proc for every process tree, feed the leak detectors and act
/// on their verdicts.
extension Supervisor {
    /// The sampling loop. It runs off the actor (on the global concurrent executor) and owns the `Sampler`
    /// and its caches; it visits the actor twice per round, to copy out the targets and to apply the samples.
    @concurrent
    nonisolated func samplingLoop() async {
        let sampler = Sampler(wardenPID: wardenPID)
        var next = clock.now
        while !Task.isCancelled {
            let round = await samplingRound()
            next = next.advanced(by: round.interval)
            let samples = sampler.sample(round.targets, at: round.at)
            await apply(samples)
            if next < clock.now { next = clock.now }   // fell behind: do not burst
            try? await clock.sleep(until: next, tolerance: .milliseconds(5))
        }
    }

    /// What one sampling round needs from the actor: the interval, the instances to sample, and the time.
    private func samplingRound() -> (interval: Duration, targets: [SamplingTarget], at: Duration) {
        (configuration.supervisor.sampleInterval, samplingTargets(), now())
    }

    private func samplingTargets() -> [SamplingTarget] {
        order.compactMap { name in
            guard let instance = instances[name], let pid = instance.pid,
                  instance.machine.state == .running || instance.machine.state == .starting
            else { return nil }
            return SamplingTarget(name: name, pid: pid, startTicks: instance.startTicks, known: instance.knownTree)
        }
    }

    private func apply(_ samples: [InstanceSample]) {
        for sample in samples {
            guard let instance = instances[sample.name], instance.pid == sample.pid, let main = sample.main else { continue }
            instance.mainSample = main
            instance.knownTree = sample.members
            instance.tree = TreeTotals(rssBytes: sample.rssBytes, fds: sample.fds, threads: sample.threads,
                                       cpuTicks: sample.cpuTicks, processes: sample.members.count)
            if let previous = previousCPU[sample.name], sample.at > previous.at, sample.cpuTicks >= previous.ticks {
                let seconds = Double(sample.cpuTicks - previous.ticks) / Double(ProcReader.clockTicksPerSecond)
                instance.cpuPercent = (seconds / (sample.at - previous.at).seconds * 1000).rounded() / 10
            }
            previousCPU[sample.name] = (sample.cpuTicks, sample.at)
            let verdict = instance.detector.observe(ResourceSample(
                time: sample.at, rssBytes: sample.rssBytes, fds: sample.fds, threads: sample.threads),
                sharing: &leakScratch)
            instance.verdict = verdict
            judge(verdict, of: instance)
        }
    }

    /// Records severity changes and acts on a verdict that demands action.
    private func judge(_ verdict: LeakVerdict, of instance: Instance) {
        let severity = verdict.warmingUp ? "warming-up" : verdict.severity.rawValue
        let leak = instance.program.leak
        if severity != instance.lastSeverity {
            let old = instance.lastSeverity
            instance.lastSeverity = severity
            record(WardenEvent(time: RFC3339.now().0, process: instance.name, event: .severityChange,
                               oldSeverity: old, newSeverity: severity, reason: "memory-growth",
                               pid: instance.pid, evidence: evidence(instance, verdict)))
            if !verdict.warmingUp, verdict.severity >= .high {
                logger.warning("\(instance.name): memory growth \(severity)",
                               metadata: ["rss_growth_mb_per_min": "\(verdict.rssGrowthMBPerMinute ?? 0)",
                                          "process": "\(instance.name)", "event": "severity-change"])
            }
            if verdict.severity < .critical { instance.alerted = false }
            // Once per process, when growth first reaches high (or jumps straight to critical).
            if let cleanup = leak.cleanupSignal, !instance.cleanupSent, verdict.severity >= .high,
               !verdict.warmingUp, let pidfd = instance.pidfd {
                instance.cleanupSent = true
                _ = try? pidfd.signal(cleanup.number)
                record(WardenEvent(time: RFC3339.now().0, process: instance.name, event: .cleanupSignal,
                                   reason: severity, pid: instance.pid, evidence: evidence(instance, verdict),
                                   message: "sent \(cleanup) at severity \(severity)"))
            }
        }
        guard let action = verdict.action, instance.machine.state == .running, !instance.leakRestartInProgress,
              !shuttingDown
        else { return }
        if leak.onCritical == .alert {
            guard !instance.alerted else { return }
            instance.alerted = true
            record(WardenEvent(time: RFC3339.now().0, process: instance.name, event: .leakAlert,
                               reason: action.rawValue, pid: instance.pid, evidence: evidence(instance, verdict),
                               message: "on_critical = alert: not restarting"))
            logger.warning("\(instance.name): \(action.rawValue) critical (alert only)",
                           metadata: ["process": "\(instance.name)", "event": "leak-alert"])
            return
        }
        let siblings = order.compactMap { instances[$0] }.filter { $0.program.name == instance.program.name }
        guard !siblings.contains(where: \.leakRestartInProgress) else { return }   // one at a time per program
        instance.leakRestartInProgress = true
        record(WardenEvent(time: RFC3339.now().0, process: instance.name, event: .leakRestart,
                           reason: action.rawValue, pid: instance.pid, evidence: evidence(instance, verdict),
                           message: restartMessage(action, verdict, instance)))
        logger.warning("\(instance.name): restarting, \(restartMessage(action, verdict, instance))",
                       metadata: ["process": "\(instance.name)", "event": "leak-restart"])
        feed(instance) { $0.restart(now: $1, reason: action.rawValue) }
    }

    private func restartMessage(_ reason: RestartReason, _ verdict: LeakVerdict, _ instance: Instance) -> String {
        switch reason {
        case .memoryGrowth:
            let rate = verdict.rssGrowthMBPerMinute.map { String(format1: $0) } ?? "?"
            return "RSS growing \(rate) MB/min over \(Int(verdict.windowSeconds)) s (critical \(instance.program.leak.critical) MB/min)"
        case .rssMax:
            return "tree RSS \(ByteSize(bytes: instance.tree.rssBytes)) above rss_max \(instance.program.leak.rssMax.map { "\($0)" } ?? "?")"
        case .fdsMax:
            return "\(instance.tree.fds) open fds above fds_max \(instance.program.leak.fdsMax ?? 0)"
        case .threadsMax:
            return "\(instance.tree.threads) threads above threads_max \(instance.program.leak.threadsMax ?? 0)"
        default:
            return reason.rawValue
        }
    }

    func evidence(_ instance: Instance, _ verdict: LeakVerdict?) -> WardenEvent.Evidence {
        WardenEvent.Evidence(
            rssBytes: instance.mainSample?.rssBytes, treeRSSBytes: instance.tree.rssBytes,
            rssGrowthMBPerMin: verdict?.rssGrowthMBPerMinute, fds: instance.tree.fds,
            fdGrowthPerMin: verdict?.fdGrowthPerMinute, threads: instance.tree.threads,
            threadGrowthPerMin: verdict?.threadGrowthPerMinute, windowSeconds: verdict?.windowSeconds,
            samples: verdict?.samples)
    }
}

extension String {
    /// `12.3`-style formatting with one decimal, without Foundation's format strings.
    init(format1 value: Double) {
        let scaled = (value * 10).rounded() / 10
        self = "\(scaled)"
    }
}

/// Reads /proc for every sampled tree, keeping what can be kept from one round to the next:
/// - the process table (`IncrementalProcessTable`: only new, reused and reparented pids are read, and /proc
///   is not even listed when no pid was allocated since the last round);
/// - each instance's tree and one open `ProcessHandle` per member (three syscalls per member per round).
///   Membership is computed again (`TreeIndex`) only when a table change concerns a tree — a member
///   changed or went away, or a process appeared or changed whose parent is a member or Warden, or whose
///   process group is a main's — or the instance has a new main process. Otherwise the members are the ones
///   `TreeIndex.members` would return again, and are simply read again;
/// - the instance name of each orphan adopted by Warden (its environment is read once).
///
/// Isolation: not Sendable, and needs no lock: `Supervisor.samplingLoop` creates it and is its only user,
/// one round after the other, so it never leaves that task (the compiler checks this: a non-Sendable value
/// cannot be captured by or sent to other concurrent code).
final class Sampler {
    /// One instance's tree as of the last round.
    private struct Tree {
        var name: String
        var startTicks: UInt64?
        /// pid → starttime, as `TreeIndex.members` returned them.
        var members: [Int32: UInt64]
        /// An open handle per member that could be opened, with the process's entry as the table holds it
        /// (what membership was computed from); a read that differs from it is fed back.
        var handles: [(handle: ProcessHandle, entry: ProcStatEntry?)]
    }

    private let wardenPID: Int32
    private let table = IncrementalProcessTable()
    /// Trees of the last round, by main pid.
    private var trees: [Int32: Tree] = [:]
    /// Every member of every tree in `trees`.
    private var memberPIDs: Set<Int32> = []
    /// The `WARDEN_PROCESS_NAME` of each orphan seen, with the start time that identifies the process.
    private var orphanNames: [Int32: (startTime: UInt64, name: String?)] = [:]
    /// Stats read this round that change what the table holds for membership, fed back after the round.
    private var fresh: [ProcStat] = []
    /// Members found gone this round.
    private var gone: [Int32] = []

    init(wardenPID: Int32) {
        self.wardenPID = wardenPID
    }

    /// Samples every target's tree: membership from the process table (see `TreeIndex.members`), then the
    /// totals over the members' handles. Zombies are not counted (they hold no memory and no fds, and are
    /// about to be reaped).
    func sample(_ targets: [SamplingTarget], at: Duration) -> [InstanceSample] {
        guard !targets.isEmpty else {
            trees.removeAll()
            memberPIDs.removeAll()
            orphanNames.removeAll()
            _ = table.takeChanges()
            return []
        }
        table.refresh(onlyIfNewPIDs: true)  // members are read below anyway: exits are noticed there
        let reuse = table.takeChanges().map { !$0.contains(where: concernsTrees) } ?? false
        var index: TreeIndex?
        var previousHandles: [Int32: ProcessHandle]?
        let entries = table.entries
        var next: [Int32: Tree] = [:]
        next.reserveCapacity(targets.count)
        var recomputed = false
        fresh.removeAll(keepingCapacity: true)
        gone.removeAll(keepingCapacity: true)

        let samples = targets.map { target in
            var tree: Tree
            if reuse, let old = trees[target.pid], old.name == target.name, old.startTicks == target.startTicks {
                tree = old
            } else {
                recomputed = true
                if index == nil { index = makeIndex(mains: Set(targets.lazy.map(\.pid))) }
                if previousHandles == nil { previousHandles = handlesByPID() }
                let members = index!.members(root: target.pid, rootStart: target.startTicks, known: target.known,
                                             name: target.name)
                tree = Tree(name: target.name, startTicks: target.startTicks, members: members, handles: [])
                tree.handles.reserveCapacity(members.count)
                for (pid, start) in members {
                    if let handle = previousHandles?[pid], handle.startTime == start {
                        tree.handles.append((handle, entries[pid]))
                    } else if let handle = ProcessHandle(pid: pid, expectedStartTime: start) {
                        tree.handles.append((handle, entries[pid]))
                    } else {
                        gone.append(pid)  // exited since the scan
                    }
                }
            }
            let result = read(&tree, target: target, at: at)
            next[target.pid] = tree
            return result
        }
        if recomputed || next.count != trees.count {
            memberPIDs = Set(next.values.lazy.flatMap { $0.members.keys })
        }
        trees = next  // closes the handles of processes that left every tree
        // Feedback: the changes it makes to the table are seen by the next round's `takeChanges()`.
        for stat in fresh { table.update(stat) }
        for pid in gone { table.forget(pid) }
        return samples
    }

    /// Whether a change of `pid` in the table can change some tree's membership (see the type's
    /// documentation); a dropped pid concerns the trees only if it was a member.
    private func concernsTrees(_ pid: Int32) -> Bool {
        if memberPIDs.contains(pid) { return true }
        guard let entry = table.entries[pid] else { return false }
        return entry.ppid == wardenPID || memberPIDs.contains(entry.ppid) || trees[entry.pgid] != nil
    }

    /// Reads every handle of `tree` and totals the live ones.
    private func read(_ tree: inout Tree, target: SamplingTarget, at: Duration) -> InstanceSample {
        var result = InstanceSample(name: target.name, pid: target.pid, at: at)
        result.members = tree.members
        for position in tree.handles.indices {
            let handle = tree.handles[position].handle
            guard let reading = handle.read() else {
                gone.append(handle.pid)  // exited since the last round
                continue
            }
            let entry = ProcStatEntry(reading.stat)
            if tree.handles[position].entry.map({ Self.differsForMembership(entry, $0) }) ?? true {
                tree.handles[position].entry = entry
                fresh.append(reading.stat)
            }
            // The table's state letters can be a round old; a zombie counts as gone, as in TreeIndex.
            guard reading.stat.state != "Z" else {
                result.members[handle.pid] = nil
                continue
            }
            let sample = reading.sample
            if handle.pid == target.pid { result.main = sample }
            result.rssBytes += sample.rssBytes
            result.fds += sample.fds ?? 0
            result.threads += sample.threads
            result.cpuTicks += sample.cpuTicks
        }
        return result
    }

    /// Whether two reads of one process differ in what decides membership: parent, group, session, or being
    /// a zombie (`R`/`S`/`D` flips are not fed back, so they do not make the trees be computed again).
    private static func differsForMembership(_ a: ProcStatEntry, _ b: ProcStatEntry) -> Bool {
        a.ppid != b.ppid || a.pgid != b.pgid || a.sid != b.sid || (a.state == "Z") != (b.state == "Z")
    }

    /// Indexes the table for membership queries, with orphans attributed through the name cache.
    private func makeIndex(mains: Set<Int32>) -> TreeIndex {
        let entries = table.entries
        orphanNames = orphanNames.filter { entries[$0.key]?.startTime == $0.value.startTime }
        return TreeIndex(table: entries, mains: mains, wardenPID: wardenPID) { entry in
            if let cached = orphanNames[entry.pid], cached.startTime == entry.startTime { return cached.name }
            let name = TreeIndex.readOrphanName(entry)
            orphanNames[entry.pid] = (entry.startTime, name)
            return name
        }
    }

    /// Every open handle of the last round, by pid, to carry over into recomputed trees.
    private func handlesByPID() -> [Int32: ProcessHandle] {
        var handles: [Int32: ProcessHandle] = [:]
        for tree in trees.values {
            for (handle, _) in tree.handles { handles[handle.pid] = handle }
        }
        return handles
    }
}
