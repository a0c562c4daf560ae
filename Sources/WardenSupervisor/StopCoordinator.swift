import Glibc
import WardenCore
import WardenLinux

/// The state of stopping process trees: /proc scans (shared within one actor turn, reused for a few
/// milliseconds), leftovers of dead workers awaiting SIGKILL, and the watch task that completes stops.
/// Owned by the `Supervisor` actor (not Sendable: never leaves it).
final class StopCoordinator {
    /// How often the stop watch re-scans /proc while some instance is STOPPING.
    static let watchInterval: Duration = .milliseconds(20)
    /// How long a /proc scan may be reused (shorter than `watchInterval`, so each watch tick sees fresh data).
    static let scanReuse: Duration = .milliseconds(5)

    let wardenPID: Int32
    /// Leftovers of dead workers that were sent the stop signal and await SIGKILL, pid → starttime. A
    /// graceful shutdown is complete only when they are gone too.
    var leftovers: [Int32: UInt64] = [:]
    /// The watch task, while one runs.
    var watch: Task<Void, Never>?
    private var lastScan: (index: TreeIndex, at: Duration)?
    private var lastScanCost: Duration = .zero
    private var sharedScan: TreeIndex?

    init(wardenPID: Int32) { self.wardenPID = wardenPID }

    /// A /proc scan, indexed. Inside `withSharedScan` the shared one; otherwise a scan younger than
    /// `scanReuse`, or than four times what the last scan cost, is reused, so requests that come one after
    /// another (hundreds of stop timeouts expiring together) spend at most a fifth of the time scanning.
    /// A process forked since is still reached by the group signal and by the watch's next scan.
    /// - Parameters:
    ///   - mains: every instance's main pid; `now`: monotonic time; `fresh`: never reuse an older scan.
    func scan(mains: Set<Int32>, now: () -> Duration, fresh: Bool = false) -> TreeIndex {
        if let sharedScan { return sharedScan }
        let at = now()
        if !fresh, let last = lastScan, at - last.at < max(Self.scanReuse, lastScanCost * 4) { return last.index }
        let index = TreeIndex(table: ProcessTable.snapshot(), mains: mains, wardenPID: wardenPID, orphanName: TreeIndex.readOrphanName)
        lastScan = (index, at)
        lastScanCost = now() - at
        return index
    }

    /// Runs `body` with one scan shared by every `scan` inside it: a loop that signals hundreds of instances
    /// in one actor turn (shutdown, `stop all`, a reload) would otherwise scan /proc once per instance.
    func withSharedScan(_ scan: () -> TreeIndex, _ body: () -> Void) {
        let outer = sharedScan
        if outer == nil { sharedScan = scan() }
        defer { sharedScan = outer }
        body()
    }

    /// Drops leftovers that `index` shows gone (or replaced by another process with their pid).
    func forgetGoneLeftovers(_ index: TreeIndex) {
        leftovers = leftovers.filter { pid, start in
            guard let entry = index.table[pid], !entry.isExited else { return false }
            return entry.startTime == start
        }
    }

    /// Sends `signal` to `pid` only if it is still the process that started at `startTime`: the pidfd is
    /// opened first and the identity checked after, so the signal cannot reach a process that reused the
    /// pid. Returns whether the signal was sent.
    @discardableResult
    static func signalVerified(pid: Int32, startTime: UInt64, signal: Int32) -> Bool {
        guard let pidfd = try? PIDFD(pid: pid) else { return false }
        guard ProcReader.sample(pid: pid)?.startTime == startTime else { return false }
        return (try? pidfd.signal(signal)) == .delivered
    }
}

extension TreeIndex {
    /// The instance name an orphan carries in its environment (`WARDEN_PROCESS_NAME`), read from
    /// /proc/PID/environ, or nil.
    static func readOrphanName(_ entry: ProcStatEntry) -> String? {
        ProcessTable.environmentValue(pid: entry.pid, key: TreeIndex.instanceVariable)
    }
}
