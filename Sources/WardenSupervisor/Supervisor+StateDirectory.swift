import Glibc
import Logging
import WardenLinux

/// Keeping the state directory usable while Warden runs: a removed directory is recreated with its lock,
/// its sockets and its files, and losses of output or events are reported when they start, not at exit.
extension Supervisor {
    /// Sets what to call after the state directory was recreated (`warden run` binds a new control socket).
    public func setStateDirectoryRecreatedHandler(_ handler: @escaping @Sendable () -> Void) {
        stateDirectoryRecreated = handler
    }

    /// Once per sampling round: when the lock file is no longer the one locked (the state directory was
    /// removed or replaced), makes the directories again, takes the lock again (so that no second Warden
    /// can start there), binds a new notify socket and asks for a new control socket. Log and event files
    /// reopen themselves at their next write (their link count is 0).
    func checkStateDirectory() {
        guard let current = lock, !current.isCurrent else { return }
        let state = configuration.supervisor.stateDirectory
        let created = StateDirectory.create(state)
        if let failure = created.failure {
            logger.error("state_dir was removed and cannot be made again: \(failure.directory): \(String(cString: strerror(failure.errno)))")
            return
        }
        if let problem = StateDirectory.problem(state) {
            logger.error("state_dir was replaced: \(problem)")
            return
        }
        do {
            lock = try StateDirectoryLock(stateDirectory: state)
        } catch {
            // Another Warden took the directory in the meantime: leave it to that one's files.
            logger.error("state_dir \(state) was removed and another process holds it now: \(error)")
            lock = nil
            return
        }
        logger.warning("state_dir \(state) was removed or replaced: made again (\(created.created.joined(separator: ", "))), lock taken, sockets bound again")
        if !notifyServer.isBound {
            do { try notifyServer.rebind { await self.handleNotify($0) } } catch {
                logger.error("cannot bind the notify socket again: \(error)")
            }
        }
        for record in recordedWorkers.values { workerRecords.save(record) }
        stateDirectoryRecreated?()
    }

    /// Once per sampling round: logs a warning when workers' output starts being dropped or a log rotation
    /// fails (a full disk), at most once a minute while it goes on.
    func reportLosses() {
        let dropped = capture.droppedBytes, rotations = capture.failedRotations
        defer { lossReport.reported = (dropped, rotations) }
        guard dropped > lossReport.reported.dropped || rotations > lossReport.reported.rotations else { return }
        let at = now()
        if let last = lossReport.warnedAt, at - last < .seconds(60) { return }
        lossReport.warnedAt = at
        logger.warning("workers' output is being lost: \(dropped) bytes dropped, \(rotations) log rotations failed so far (disk full? see /v1/health)",
                       metadata: ["output_dropped_bytes": "\(dropped)", "output_failed_rotations": "\(rotations)"])
    }
}

/// What `reportLosses` last saw and when it last warned.
struct LossReport {
    var reported: (dropped: UInt64, rotations: UInt64) = (0, 0)
    var warnedAt: Duration?
}
