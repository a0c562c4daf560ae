import WardenCore
import WardenLinux

/// Reads /proc for every sampled tree, keeping what can be kept from one round to the next:
/// - the process table (`IncrementalProcessTable`: only new, reused and reparented pids are read, and /proc
///   is not even listed when no pid was allocated since the last round);
/// - each instance's tree and one open `ProcessHandle` per member. Membership is computed again
///   (`TreeIndex`) only when a table change concerns a tree — a member changed or went away, or a process
///   appeared or changed whose parent is a member or Warden, or whose process group is a main's — or the
///   instance has a new main process. Otherwise the members are the ones `TreeIndex.members` would return
///   again, and are simply read again;
/// - the instance name of each orphan adopted by Warden (its environment is read once).
///
/// **Full and resource rounds.** Every round reads each member's resident memory, fd count and thread
/// count (`ProcessHandle.readResources()`: what a leak makes grow). Every `fullRoundEvery`-th round also
/// reads `/proc/PID/stat` (`ProcessHandle.read()`): CPU time, and the parent, group, session and state
/// that membership is computed from. `stat` costs more than the rest of a sample together, so CPU % is
/// averaged over `fullRoundEvery` sample intervals. What a resource round does not see until the next full
/// round: a member's `setsid`/`setpgid`. Exits are seen at once (the reads fail), new processes at once
/// (the table), and a member that became a zombie (no address space any more) gets a full read at once.
///
/// Isolation: not Sendable, and needs no lock: `Supervisor.samplingLoop` creates it and is its only user,
/// one round after the other, so it never leaves that task (the compiler checks this: a non-Sendable value
/// cannot be captured by or sent to other concurrent code).
final class Sampler {
    /// A full round (with `stat`) every this many rounds.
    static let fullRoundEvery = 5

    /// One member of a tree: its handle and what the last full read of it said.
    private struct Member {
        let handle: ProcessHandle
        /// The process's entry as the table held it when membership was computed (or as last fed back);
        /// a full read that differs from it in what decides membership is fed back to the table.
        var entry: ProcStatEntry?
        /// The last `stat` read (at the handle's creation or on the last full round).
        var stat: ProcStat
    }

    /// One instance's tree as of the last round. A class, so that a round updates it in place.
    private final class Tree {
        let name: String
        let startTicks: UInt64?
        /// pid → starttime, as `TreeIndex.members` returned them.
        let members: [Int32: UInt64]
        var handles: [Member]

        init(name: String, startTicks: UInt64?, members: [Int32: UInt64], handles: [Member]) {
            self.name = name
            self.startTicks = startTicks
            self.members = members
            self.handles = handles
        }
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
    /// Rounds done, to pick the full ones.
    private var rounds = 0
    /// Processes read by the last `sample` call (every live member of every tree).
    private(set) var lastProcessesRead = 0

    init(wardenPID: Int32) {
        self.wardenPID = wardenPID
    }

    /// Samples every target's tree: membership from the process table (see `TreeIndex.members`), then the
    /// totals over the members' handles. Zombies are not counted (they hold no memory and no fds, and are
    /// about to be reaped).
    func sample(_ targets: [SamplingTarget], at: Duration) -> [InstanceSample] {
        lastProcessesRead = 0
        guard !targets.isEmpty else {
            trees.removeAll()
            memberPIDs.removeAll()
            orphanNames.removeAll()
            _ = table.takeChanges()
            return []
        }
        let full = rounds % Self.fullRoundEvery == 0
        rounds &+= 1
        table.refresh(onlyIfNewPIDs: true)  // members are read below anyway: exits are noticed there
        let reuse = table.takeChanges().map { !$0.contains(where: concernsTrees) } ?? false
        var index: TreeIndex?
        var previousMembers: [Int32: Member]?
        let entries = table.entries
        var recomputed = false
        fresh.removeAll(keepingCapacity: true)
        gone.removeAll(keepingCapacity: true)

        var samples: [InstanceSample] = []
        samples.reserveCapacity(targets.count)
        var roundTrees: [Tree] = []
        roundTrees.reserveCapacity(targets.count)
        for target in targets {
            let tree: Tree
            if reuse, let old = trees[target.pid], old.name == target.name, old.startTicks == target.startTicks {
                tree = old
            } else {
                recomputed = true
                if index == nil { index = makeIndex(mains: Set(targets.lazy.map(\.pid))) }
                if previousMembers == nil { previousMembers = membersByPID() }
                let members = index!.members(root: target.pid, rootStart: target.startTicks, known: target.known,
                                             name: target.name)
                var handles: [Member] = []
                handles.reserveCapacity(members.count)
                for (pid, start) in members {
                    if var member = previousMembers?[pid], member.handle.startTime == start {
                        member.entry = entries[pid]
                        handles.append(member)
                    } else if let handle = ProcessHandle(pid: pid, expectedStartTime: start) {
                        handles.append(Member(handle: handle, entry: entries[pid], stat: handle.initialStat))
                    } else {
                        gone.append(pid)  // exited since the scan
                    }
                }
                tree = Tree(name: target.name, startTicks: target.startTicks, members: members, handles: handles)
            }
            samples.append(read(tree, target: target, at: at, full: full))
            roundTrees.append(tree)
        }
        if recomputed || trees.count != targets.count {
            trees.removeAll(keepingCapacity: true)  // closes the handles of processes that left every tree
            for (target, tree) in zip(targets, roundTrees) { trees[target.pid] = tree }
            memberPIDs = Set(roundTrees.lazy.flatMap { $0.members.keys })
        }
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

    /// Reads every handle of `tree` (fully on a full round, its resources otherwise) and totals the live ones.
    private func read(_ tree: Tree, target: SamplingTarget, at: Duration, full: Bool) -> InstanceSample {
        var result = InstanceSample(name: target.name, pid: target.pid, at: at)
        result.members = tree.members
        var cpuTicks: UInt64 = 0
        for position in tree.handles.indices {
            let handle = tree.handles[position].handle
            let sample: ProcessSample
            if !full, let resources = handle.readResources(), resources.hasAddressSpace {
                let stat = tree.handles[position].stat
                sample = ProcessSample(pid: stat.pid, ppid: stat.ppid, pgid: stat.pgrp, startTime: stat.startTime,
                                       rssBytes: resources.rssBytes, threads: resources.threads,
                                       fds: resources.fds, cpuTicks: stat.utime &+ stat.stime)
            } else {
                // A full round, or the process may have exited (a zombie has no address space; a reaped
                // process cannot be read): `stat` tells which.
                guard let reading = handle.read() else {
                    gone.append(handle.pid)  // exited since the last round
                    continue
                }
                tree.handles[position].stat = reading.stat
                let entry = ProcStatEntry(reading.stat)
                if tree.handles[position].entry.map({ Self.differsForMembership(entry, $0) }) ?? true {
                    tree.handles[position].entry = entry
                    fresh.append(reading.stat)
                }
                // The table's state letters can be a round old; a zombie counts as gone, as in TreeIndex.
                guard !reading.stat.isExited else {
                    result.members[handle.pid] = nil
                    continue
                }
                if reading.stat.state == "Z", let resources = handle.readThroughLiveThread() {
                    // A zombie leader (its main thread called pthread_exit): its own statm and fd directory
                    // are empty, a live thread's show the process's memory and descriptors.
                    sample = ProcessSample(pid: reading.stat.pid, ppid: reading.stat.ppid, pgid: reading.stat.pgrp,
                                           startTime: reading.stat.startTime, rssBytes: resources.rssBytes,
                                           threads: resources.threads, fds: resources.fds,
                                           cpuTicks: reading.stat.utime &+ reading.stat.stime)
                } else {
                    sample = reading.sample
                }
                // With the CPU of reaped children: a shell running short commands is busy too.
                cpuTicks &+= sample.cpuTicks &+ reading.stat.childrenCPUTicks
            }
            lastProcessesRead += 1
            if handle.pid == target.pid { result.main = sample }
            result.rssBytes += sample.rssBytes
            result.fds += sample.fds ?? 0
            result.threads += sample.threads
        }
        if full { result.cpuTicks = cpuTicks }
        return result
    }

    /// Whether two reads of one process differ in what decides membership: parent, group, session, or being
    /// a zombie (`R`/`S`/`D` flips are not fed back, so they do not make the trees be computed again).
    private static func differsForMembership(_ a: ProcStatEntry, _ b: ProcStatEntry) -> Bool {
        a.ppid != b.ppid || a.pgid != b.pgid || a.sid != b.sid || a.isExited != b.isExited
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

    /// Every member of the last round's trees, by pid, to carry over (handle and last stat) into recomputed
    /// trees.
    private func membersByPID() -> [Int32: Member] {
        var members: [Int32: Member] = [:]
        for tree in trees.values {
            for member in tree.handles { members[member.handle.pid] = member }
        }
        return members
    }
}
