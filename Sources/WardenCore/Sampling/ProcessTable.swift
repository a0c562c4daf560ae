/// The identity and ancestry of one process, from its `/proc/PID/stat` (proc(5)).
public struct ProcStatEntry: Sendable, Equatable {
    /// The process id.
    public var pid: Int32
    /// The parent's pid.
    public var ppid: Int32
    /// The process group id.
    public var pgid: Int32
    /// The session id.
    public var sid: Int32
    /// Start time after boot, in clock ticks.
    public var startTime: UInt64
    /// The scheduler state letter (`ProcStat.state`); `Z` for a zombie that waits to be reaped.
    public var state: Character
    /// Threads of the process (`ProcStat.numThreads`).
    public var threads: Int

    /// Creates an entry from its fields (start time in clock ticks).
    public init(pid: Int32, ppid: Int32, pgid: Int32, sid: Int32, startTime: UInt64, state: Character, threads: Int = 1) {
        self.pid = pid
        self.ppid = ppid
        self.pgid = pgid
        self.sid = sid
        self.startTime = startTime
        self.state = state
        self.threads = threads
    }

    /// The entry of a parsed stat line.
    public init(_ stat: ProcStat) {
        self.init(pid: stat.pid, ppid: stat.ppid, pgid: stat.pgrp, sid: stat.session, startTime: stat.startTime,
                  state: stat.state, threads: stat.numThreads)
    }

    /// Whether the process has ended: a zombie with no live thread. A zombie *leader* — its main thread
    /// called `pthread_exit` while other threads run on — is alive: it holds memory and fds, and its group
    /// can be signalled (see `ProcStat.isExited`).
    public var isExited: Bool { state == "Z" && threads <= 1 }
}

/// The processes of the system, keyed by pid. WardenLinux adds `snapshot()`, which scans /proc; the tree
/// queries here are pure.
public enum ProcessTable {
    /// Every descendant of `root` in `table` (children, grandchildren, …), breadth first; `root` excluded.
    ///
    /// A snapshot is not atomic, so a parent can exit and its pid be reused while /proc is being read. A child
    /// never starts before its parent, so a link whose child started earlier than the parent is stale and is
    /// not followed; a visited set guards against any remaining cycle.
    public static func descendants(of root: Int32, in table: [Int32: ProcStatEntry]) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        for entry in table.values where entry.pid != entry.ppid {
            children[entry.ppid, default: []].append(entry.pid)
        }
        var result: [Int32] = []
        var visited: Set<Int32> = [root]
        var queue = [root]
        var head = 0
        while head < queue.count {
            let parent = queue[head]
            head += 1
            let parentStart = table[parent]?.startTime ?? 0
            for child in children[parent] ?? [] {
                guard let entry = table[child], entry.startTime >= parentStart, visited.insert(child).inserted
                else { continue }
                result.append(child)
                queue.append(child)
            }
        }
        return result
    }
}
