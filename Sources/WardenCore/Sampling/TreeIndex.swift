/// One process-table snapshot indexed for finding each worker's tree quickly: children by parent,
/// members by process group, and Warden's adopted orphans by the `WARDEN_PROCESS_NAME` they carry.
/// Pure: the table and the orphans' names are given.
///
/// `members` is Warden's one answer to "which processes are this worker's tree": the sampler, the stop
/// path, notify attribution and the collectors' worker trees all use it. Built once per scan in O(table);
/// each `members` query then costs O(size of that tree).
public struct TreeIndex: Sendable {
    public let table: [Int32: ProcStatEntry]
    public let mains: Set<Int32>
    private var children: [Int32: [Int32]] = [:]
    private var groups: [Int32: [Int32]] = [:]
    private var orphansByName: [String: [Int32]] = [:]

    /// - Parameters:
    ///   - mains: main pids of every instance; never treated as another instance's orphan.
    ///   - wardenPID: our pid: processes whose parent is Warden but that are not mains were reparented
    ///     to us (we are the child subreaper) and are attributed by their environment.
    ///   - orphanName: the `WARDEN_PROCESS_NAME` of such an orphan (read from its /proc/PID/environ by the
    ///     caller, which may cache it).
    public init(table: [Int32: ProcStatEntry], mains: Set<Int32>, wardenPID: Int32,
                orphanName: (ProcStatEntry) -> String?) {
        self.table = table
        self.mains = mains
        for (pid, entry) in table where !entry.isExited {
            children[entry.ppid, default: []].append(pid)
            groups[entry.pgid, default: []].append(pid)
            if entry.ppid == wardenPID, !mains.contains(pid), let name = orphanName(entry) {
                orphansByName[name, default: []].append(pid)
            }
        }
    }

    /// Every live process of one instance's tree, pid → starttime: the main process, its descendants,
    /// the processes still in its process group (pgid == main pid, since workers are spawned with
    /// setsid), processes seen in the tree before (matched by starttime, so a reused pid is never taken
    /// for ours), and orphans reparented to Warden that carry the instance's name — plus all their
    /// descendants. Zombies count as gone.
    public func members(root: Int32?, rootStart: UInt64?, known: [Int32: UInt64], name: String) -> [Int32: UInt64] {
        var members: [Int32: UInt64] = [:]
        var queue: [Int32] = []
        func add(_ pid: Int32, start expected: UInt64?) {
            guard members[pid] == nil, let entry = table[pid], !entry.isExited else { return }
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

    /// Which of `trees` holds the live process `pid` (matched by its start time, so a reused pid is never
    /// taken for a member), by `members`; `nil` when none does or `pid` is not in the table.
    public func owner(of pid: Int32, among trees: [(name: String, root: Int32?, rootStart: UInt64?, known: [Int32: UInt64])]) -> String? {
        guard let entry = table[pid], !entry.isExited else { return nil }
        return trees.first { members(root: $0.root, rootStart: $0.rootStart, known: $0.known, name: $0.name)[pid] == entry.startTime }?.name
    }
}

extension TreeIndex {
    /// The environment variable by which an orphan adopted by Warden names the instance that made it.
    public static let instanceVariable = "WARDEN_PROCESS_NAME"
}
