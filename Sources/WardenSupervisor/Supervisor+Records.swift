import Glibc
import Logging
import WardenCore
import WardenLinux

/// The worker records of `STATE_DIR/workers/` (`WorkerRecord`): written at each spawn, removed once
/// nothing of the worker is left, and read at start-up to end what a previous Warden left running.
///
/// Why end and not adopt: the leftovers' stdout and stderr were pipes to the dead Warden, so their output
/// could no longer be captured (a write to the broken pipe kills a worker with SIGPIPE, or its output is
/// lost); they are not Warden's children, so their exit status cannot be reaped; a `ready = "notify"`
/// worker's readiness and a watchdog's pings were lost with the old process. Ending them and starting
/// fresh instances gives a state Warden fully knows; the cost is one restart of each worker.
extension Supervisor {
    /// Records a main process (spawned, or named by `MAINPID=`).
    func recordWorker(_ instance: Instance, pid: Int32, startTime: UInt64?) {
        guard let startTime else { return }
        let record = WorkerRecord(pid: pid, startTime: startTime, name: instance.name)
        recordedWorkers[pid] = record
        workerRecords.save(record)
    }

    /// Removes the records of main processes that are no longer any instance's and of which nothing is
    /// left (no live descendant or session member). Cheap when every record is a live main process.
    func forgetFinishedWorkers(index: TreeIndex? = nil) {
        let stale = recordedWorkers.values.filter { registry.byPID[$0.pid] == nil }
        guard !stale.isEmpty else { return }
        let table = (index ?? scanProcesses()).table
        for record in stale where record.leftovers(in: table).isEmpty {
            recordedWorkers[record.pid] = nil
            workerRecords.remove(pid: record.pid)
        }
    }

    /// At start-up, before anything is spawned: ends what the records of a previous Warden (one that
    /// died without stopping its workers) show still running — the program's `stop_signal` (TERM for a
    /// program no longer configured) to every process, SIGKILL to survivors after its `stop_timeout` (at
    /// most 10 s) — each checked against its start time, so a process that reused a pid is never hit.
    /// Publishes `orphans-killed` with reason `leftovers-ended` per worker that had leftovers.
    func endPreviousLeftovers() async {
        let records = workerRecords.load()
        guard !records.isEmpty else { return }
        let table = ProcessTable.snapshot()
        var ended: [(record: WorkerRecord, pids: [Int32: UInt64])] = []
        var grace: Duration = .zero
        for record in records {
            let leftovers = record.leftovers(in: table)
            guard !leftovers.isEmpty else { continue }
            let program = registry[record.name]?.program
            let signal = program?.stopSignal.number ?? SIGTERM
            grace = max(grace, min(program?.stopTimeout ?? .seconds(10), .seconds(10)))
            for (pid, start) in leftovers {
                StopCoordinator.signalVerified(pid: pid, startTime: start, signal: signal)
                StopCoordinator.signalVerified(pid: pid, startTime: start, signal: SIGCONT)
            }
            ended.append((record, leftovers))
        }
        let all = ended.reduce(into: [Int32: UInt64]()) { $0.merge($1.pids) { a, _ in a } }
        let startedAt = now()
        var alive = Self.stillAlive(all)
        while !alive.isEmpty && now() - startedAt < grace {
            try? await clock.sleep(for: StopCoordinator.watchInterval)
            alive = Self.stillAlive(alive)
        }
        let killed = alive
        for (pid, start) in killed { StopCoordinator.signalVerified(pid: pid, startTime: start, signal: SIGKILL) }
        let killDeadline = now() + .seconds(2)
        while !alive.isEmpty && now() < killDeadline {
            try? await clock.sleep(for: StopCoordinator.watchInterval)
            alive = Self.stillAlive(alive)
        }
        let took = "in \(Int(((now() - startedAt).seconds * 1000).rounded())) ms"
        for (record, pids) in ended {
            let list = pids.keys.sorted()
            let forced = list.filter { killed[$0] != nil }
            let message = "ended \(list.count) process\(list.count == 1 ? "" : "es") left running by a previous warden: \(list)"
                + (forced.isEmpty ? "" : "; SIGKILL to \(forced)") + " (\(took))"
            logger.warning("\(record.name): \(message)", metadata: ["process": "\(record.name)", "pid": "\(record.pid)"])
            publish(WardenEvent(time: RFC3339.now().0, process: record.name, program: registry[record.name]?.program.name,
                                event: .orphansKilled, reason: EventReason.leftoversEnded, pid: record.pid,
                                message: message))
        }
        if !alive.isEmpty {
            logger.error("processes left by a previous warden survived SIGKILL: \(alive.keys.sorted())")
        }
        for record in records { workerRecords.remove(pid: record.pid) }
        workerRecords.flush()
    }

    /// The processes of `pids` (pid → start time) that still exist as themselves and are not zombies.
    private static func stillAlive(_ pids: [Int32: UInt64]) -> [Int32: UInt64] {
        pids.filter { pid, start in
            guard let stat = ProcReader.readStat(pid: pid) else { return false }
            return stat.startTime == start && !stat.isExited
        }
    }
}
