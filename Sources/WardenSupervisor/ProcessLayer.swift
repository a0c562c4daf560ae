public import WardenCore
public import WardenLinux

/// The supervisor's way to act on its main processes: spawn one, signal it or its group, and learn when
/// one was reaped. `LinuxProcessLayer` is the real one (posix_spawn, pidfd, kill, `ChildReaper`); a test can
/// put another in its place to drive the actor without processes. Tree scans, sampling and leftovers still
/// read /proc (a pid that does not exist there simply has no tree).
public protocol ProcessLayer: Sendable {
    /// Starts reaping children; every main process that ends must appear on this stream once. Called once.
    func reapedChildren() -> AsyncStream<ReapedChild>
    /// Spawns a main process (in its own session and process group).
    /// - Throws: the spawn's error (the instance's start fails with it).
    func spawn(_ request: SpawnRequest) throws -> SpawnedProcess
    /// Sends `signal` to the process group `pgid` (ESRCH and EPERM are not errors).
    func signalGroup(_ pgid: Int32, signal: Int32)
    /// Sends `signal` to the main process `pid`, through `pidfd` when there is one.
    func signal(_ pid: Int32, pidfd: PIDFD?, signal: Int32)
    /// Warden's own children now (its main processes and the orphans it adopted as subreaper), or `nil`
    /// when unknown; leftovers and strays are looked for only among them.
    func children() -> Set<Int32>?
}

/// The real process layer.
public struct LinuxProcessLayer: ProcessLayer {
    public init() {}
    public func reapedChildren() -> AsyncStream<ReapedChild> { ChildReaper.start() }
    public func spawn(_ request: SpawnRequest) throws -> SpawnedProcess { try Spawner.spawn(request) }
    public func signalGroup(_ pgid: Int32, signal: Int32) { _ = try? Signals.sendToGroup(pgid, signal: signal) }
    public func signal(_ pid: Int32, pidfd: PIDFD?, signal: Int32) { _ = try? pidfd?.signal(signal) }
    public func children() -> Set<Int32>? { ProcessTable.childrenOfSelf() }
}
