import Glibc
public import WardenCore

/// The system's process table (pid → `ProcStatEntry`), kept current from one scan to the next with as few
/// `/proc/PID/stat` reads as possible. `ProcessTable.snapshot()` reads the stat of every process on every
/// scan; on a host with hundreds of processes that was most of the sampler's cost.
///
/// Each `refresh()` lists /proc (readdir(3), i.e. getdents64: one entry per process, threads not listed) and
/// reads `/proc/PID/stat` only for
/// - **a pid not seen before**: a new process. A worker's new child or grandchild is therefore in the table
///   of the first scan after its fork, exactly as with a full snapshot.
/// - **a pid whose directory entry changed inode**: procfs gives each process's `/proc/PID` its own inode,
///   and the dentries of a process are invalidated when it is reaped (`proc_flush_pid`, Linux ≥ 5.7), so a
///   pid reused between two scans shows up with a new inode number (`d_ino`) and is read again. A live
///   process keeps its inode while its dentry stays cached; one evicted under memory pressure only costs a
///   re-read.
/// - **an entry whose parent is gone, or started after it**: the process was reparented when its parent
///   exited (to Warden, the child subreaper, or to init), so its ppid is read again.
///
/// Pids no longer listed are dropped.
///
/// **No new pid, no listing** (`refresh(onlyIfNewPIDs: true)`). Before listing, the last pid the kernel
/// allocated is read (the fifth field of `/proc/loadavg`, proc(5), in the caller's pid namespace). When it
/// is the same as at the previous listing, no process (or thread) has been created since, so nothing new
/// can be in /proc, and the listing — about 1.5 µs per process on the test machine — is skipped. What that
/// misses until the next listing: exits, and the reparenting of orphans, among processes the caller does not
/// read itself. The supervisor's sampler reads every tree member itself (and feeds back what changed), so
/// for it nothing that matters is missed; a caller that finds a process gone calls `forget(_:)`, which
/// makes the next refresh list /proc again.
///
/// Not refreshed for a process that stays: its state letter (a process that became a zombie keeps its
/// old state), pgid and sid (setpgid/setsid after the first read). A caller that reads a process anyway
/// feeds the fresh stat back with `update(_:)` — the supervisor's sampler does so for every tree member
/// whose parent, group, session or zombie state changed, so the entries that decide tree membership are at
/// most one sample old. Where exact states are needed (the stop path waits for zombies to be reaped), use
/// `ProcessTable.snapshot()`.
///
/// Not Sendable: it is a cache with mutable state, meant to be owned by one task (the sampler).
public final class IncrementalProcessTable {
    /// The current table, as of the last `refresh()` and the `update`s since.
    public private(set) var entries: [Int32: ProcStatEntry] = [:]
    /// Pids whose entry was added, dropped or changed since the last `takeChanges()`; nil when there were
    /// more than `maximumTrackedChanges`.
    private var changes: [Int32]? = []
    /// Beyond this many changes between two `takeChanges()`, they are no longer listed one by one.
    public static let maximumTrackedChanges = 4096
    /// Inode number of each pid's /proc directory entry when its stat was read. Same keys as `entries`.
    private var inodes: [Int32: UInt64] = [:]
    /// The last listing of /proc, reused to avoid an allocation per scan.
    private var listed: [(pid: Int32, inode: UInt64)] = []
    private var stale: [Int32] = []
    /// `/proc/loadavg`, kept open and re-read with pread (a seq_file, like `ProcessHandle`'s), or -1.
    private var loadavgFD: Int32 = -1
    /// The last allocated pid at the last listing, nil before the first or when it cannot be read.
    private var lastPIDAtListing: Int32?

    /// Number of `/proc/PID/stat` files read by the last `refresh()` (new, reused and reparented pids):
    /// what the scan cost beyond the directory listing.
    public private(set) var lastRefreshReads = 0

    /// Whether the last `refresh()` listed /proc (false: no pid had been allocated since the listing before).
    public private(set) var lastRefreshListed = false

    /// Creates an empty table; the first `refresh()` reads every process, like `ProcessTable.snapshot()`.
    public init() {}

    deinit {
        if loadavgFD >= 0 { close(loadavgFD) }
    }

    /// Lists /proc and brings the table up to date (see the type's documentation for what is read).
    ///
    /// Not atomic, like a snapshot: a process that exits between the listing and its stat read is left out.
    /// - Parameter onlyIfNewPIDs: skip the listing when no pid was allocated since the last one (see the
    ///   type's documentation for what is then left for the next listing).
    /// - Returns: `entries`. If /proc cannot be listed (not mounted, EMFILE) the table is left as it was.
    @discardableResult
    public func refresh(onlyIfNewPIDs: Bool = false) -> [Int32: ProcStatEntry] {
        let lastPID = lastAllocatedPID()
        if onlyIfNewPIDs, let lastPID, lastPID == lastPIDAtListing {
            lastRefreshReads = 0
            lastRefreshListed = false
            return entries
        }
        guard let directory = opendir("/proc") else { return entries }
        lastPIDAtListing = lastPID
        lastRefreshListed = true
        listed.removeAll(keepingCapacity: true)
        while let entry = readdir(directory) {
            if let pid = ProcReader.pid(of: entry) { listed.append((pid, UInt64(entry.pointee.d_ino))) }
        }
        closedir(directory)

        var reads = 0
        let countBefore = entries.count
        var listedBefore = 0  // listed pids that were in the table before this scan
        for (pid, inode) in listed {
            let known = inodes[pid]
            if known != nil { listedBefore += 1 }
            if known == inode { continue }
            reads += 1
            read(pid, inode: inode)
        }
        // Every listed pid is distinct, so the table held `countBefore - listedBefore` pids that are gone.
        stale.removeAll(keepingCapacity: true)
        if listedBefore < countBefore {
            let present = Set(listed.lazy.map(\.pid))
            for pid in entries.keys where !present.contains(pid) { stale.append(pid) }
            for pid in stale { drop(pid) }
            stale.removeAll(keepingCapacity: true)
        }

        for (pid, entry) in entries where entry.ppid > 0 {
            if let parent = entries[entry.ppid], parent.startTime <= entry.startTime { continue }
            stale.append(pid)
        }
        for pid in stale {
            reads += 1
            read(pid, inode: inodes[pid] ?? 0)
        }
        lastRefreshReads = reads
        return entries
    }

    /// Records a fresh stat of a process the caller has just read (for instance through a `ProcessHandle`).
    /// Ignored for a pid the table does not hold (the next `refresh()` reads it), or one held by another
    /// process (different start time: the caller's read is older than the table's).
    public func update(_ stat: ProcStat) {
        guard let old = entries[stat.pid], old.startTime == stat.startTime else { return }
        store(ProcStatEntry(stat), old: old)
    }

    /// Drops `pid` (the caller found it gone). The next `refresh()` lists /proc even if no pid was allocated
    /// since (`onlyIfNewPIDs`), so a process that still has the pid is read again then.
    public func forget(_ pid: Int32) {
        drop(pid)
        lastPIDAtListing = nil
    }

    /// The pids whose entry was added, dropped or changed (any field) since the previous call, each at least
    /// once, so that whatever was computed from `entries` can be checked for what concerns it; nil when too
    /// many changed to list (more than `maximumTrackedChanges`): treat everything as changed.
    public func takeChanges() -> [Int32]? {
        defer { changes = [] }
        return changes
    }

    private func drop(_ pid: Int32) {
        if entries.removeValue(forKey: pid) != nil { noteChange(pid) }
        inodes[pid] = nil
    }

    private func store(_ entry: ProcStatEntry, old: ProcStatEntry?) {
        guard entry != old else { return }
        entries[entry.pid] = entry
        noteChange(entry.pid)
    }

    private func noteChange(_ pid: Int32) {
        guard changes != nil else { return }
        if changes!.count < Self.maximumTrackedChanges { changes!.append(pid) } else { changes = nil }
    }

    /// The most recently allocated pid: the last field of `/proc/loadavg` (`0.20 0.18 0.12 1/80 11206`).
    private func lastAllocatedPID() -> Int32? {
        if loadavgFD < 0 { loadavgFD = open("/proc/loadavg", O_RDONLY | O_CLOEXEC) }
        guard loadavgFD >= 0 else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buffer -> Int32? in
            let count = pread(loadavgFD, buffer.baseAddress!, buffer.count, 0)
            guard count > 0, count < buffer.count else { return nil }
            return Self.lastPID(inLoadavg: UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// Parses the last whitespace-separated field of a `/proc/loadavg` line as a pid.
    static func lastPID(inLoadavg line: UnsafeBufferPointer<UInt8>) -> Int32? {
        var end = line.endIndex
        while end > line.startIndex, line[end - 1] == UInt8(ascii: "\n") || line[end - 1] == UInt8(ascii: " ") {
            end -= 1
        }
        var start = end
        while start > line.startIndex, line[start - 1] >= UInt8(ascii: "0"), line[start - 1] <= UInt8(ascii: "9") {
            start -= 1
        }
        guard start < end, end - start <= 9, start == line.startIndex || line[start - 1] == UInt8(ascii: " ")
        else { return nil }
        var value: Int32 = 0
        for byte in line[start..<end] { value = value * 10 + Int32(byte - UInt8(ascii: "0")) }
        return value
    }

    private func read(_ pid: Int32, inode: UInt64) {
        if let stat = ProcReader.readStat(pid: pid) {
            store(ProcStatEntry(stat), old: entries[pid])
            inodes[pid] = inode
        } else {
            drop(pid)  // exited since the listing
        }
    }
}
