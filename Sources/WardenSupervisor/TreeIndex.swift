import WardenCore
import WardenLinux

/// One process-table snapshot indexed for finding each worker's tree quickly: children by parent,
/// members by process group, and Warden's adopted orphans by the `WARDEN_PROCESS_NAME` they carry.
///
/// Built once per scan in O(table); each `members` query then costs O(size of that tree), so a scan for
/// 500 workers does not walk the table 500 times.
struct TreeIndex {
    let table: [Int32: ProcStatEntry]
    let mains: Set<Int32>
    private var children: [Int32: [Int32]] = [:]
    private var groups: [Int32: [Int32]] = [:]
    private var orphansByName: [String: [Int32]] = [:]

    /// - Parameters:
    ///   - mains: main pids of every instance; never treated as another instance's orphan.
    ///   - wardenPID: our pid: processes whose parent is Warden but that are not mains were reparented
    ///     to us (we are the child subreaper) and are attributed by their environment.
    ///   - orphanName: the `WARDEN_PROCESS_NAME` of such an orphan; by default read from its
    ///     /proc/PID/environ (`Sampler` passes a cache, so each orphan's environment is read once).
    init(table: [Int32: ProcStatEntry], mains: Set<Int32>, wardenPID: Int32,
         orphanName: (ProcStatEntry) -> String? = TreeIndex.readOrphanName) {
        self.table = table
        self.mains = mains
        for (pid, entry) in table where entry.state != "Z" {
            children[entry.ppid, default: []].append(pid)
            groups[entry.pgid, default: []].append(pid)
            if entry.ppid == wardenPID, !mains.contains(pid), let name = orphanName(entry) {
                orphansByName[name, default: []].append(pid)
            }
        }
    }

    /// The instance name an orphan carries in its environment (`WARDEN_PROCESS_NAME`), or nil.
    static func readOrphanName(_ entry: ProcStatEntry) -> String? {
        ProcessTable.environmentValue(pid: entry.pid, key: "WARDEN_PROCESS_NAME")
    }

    /// Every live process of one instance's tree, pid → starttime: the main process, its descendants,
    /// the processes still in its process group (pgid == main pid, since workers are spawned with
    /// setsid), processes seen in the tree before (matched by starttime, so a reused pid is never taken
    /// for ours), and orphans reparented to Warden that carry the instance's name — plus all their
    /// descendants. Zombies count as gone.
    func members(root: Int32?, rootStart: UInt64?, known: [Int32: UInt64], name: String) -> [Int32: UInt64] {
        var members: [Int32: UInt64] = [:]
        var queue: [Int32] = []
        func add(_ pid: Int32, start expected: UInt64?) {
            guard members[pid] == nil, let entry = table[pid], entry.state != "Z" else { return }
            if let expected, entry.startTime != expected { return }
            members[pid] = entry.startTime
            queue.append(pid)
        }
        if let root {
            add(root, start: rootStart)
            for pid in groups[root] ?? [] where !mains.contains(pid) || pid == root { add(pid, start: nil) }
        }
        for (pid, start) in known { add(pid, start: start) }
        for pid in orphansByName[name] ?? [] { add(pid, start: nil) }
        var next = 0
        while next < queue.count {
            let parent = queue[next]
            next += 1
            for child in children[parent] ?? [] where !mains.contains(child) { add(child, start: nil) }
        }
        return members
    }
}
