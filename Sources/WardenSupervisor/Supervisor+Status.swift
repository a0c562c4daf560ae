#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import WardenAPI
import WardenCore

extension Supervisor {
    /// The API view of one instance (see `ProcessStatus` for units).
    func status(of instance: Instance) -> ProcessStatus {
        let running = instance.machine.state.hasProcess && instance.pid != nil
        let machine = instance.machine
        let verdict = machine.verdict
        let warming = verdict?.warmingUp ?? true
        let observed = running ? machine.observation : nil
        let leak = LeakStatus(
            severity: machine.severity.description,
            provisional: machine.provisional,
            firstGradeInSeconds: running ? machine.secondsToFirstGrade.map(round1) : nil,
            finalGradeInSeconds: running ? machine.secondsToFinalGrade.map(round1) : nil,
            rssGrowthMBPerMin: warming ? nil : verdict?.rssGrowthMBPerMinute.map(round2),
            fdGrowthPerMin: warming ? nil : verdict?.fdGrowthPerMinute.map(round2),
            threadGrowthPerMin: warming ? nil : verdict?.threadGrowthPerMinute.map(round2),
            samples: verdict?.samples ?? 0)
        let uptime = running ? instance.startedAtMonotonic.map { (now() - $0).seconds } : nil
        var status = ProcessStatus(
            name: instance.name, program: instance.program.name, state: instance.machine.state,
            pid: running ? instance.pid : nil,
            startedAt: running ? instance.startedAt.map { RFC3339.string(secondsSinceEpoch: $0.secondsSinceEpoch) } : nil,
            uptimeSeconds: uptime.map { ($0 * 10).rounded() / 10 },
            restarts: machine.restarts,
            lastExitStatus: machine.lastExit?.description,
            lastRestartReason: machine.lastRestartReason?.rawValue,
            rssBytes: observed?.mainRSSBytes,
            treeRSSBytes: observed?.treeRSSBytes,
            threads: observed?.mainThreads,
            fds: observed?.mainFDs,
            treeProcesses: observed?.processes,
            cpuPercent: observed?.cpuPercent,
            leak: leak,
            description: describe(instance),
            statusText: running ? machine.statusText : nil,
            notifyErrno: running ? machine.notifyErrno : nil,
            lastStopPIDs: instance.lastStop?.ended,
            lastRestartCause: machine.lastRestartCause,
            spawnError: machine.lastSpawnFailure, restartLoop: restartLoopStatus(of: instance.name),
            cleanupSignal: instance.program.leak.cleanupSignal?.description)
        status.forecast = running && machine.leakRestart == nil ? forecast(of: instance).map(ForecastStatus.init) : nil
        return status
    }

    /// The soonest forecast of `instance` (memory, or a suspected connection leak in any collector's pool).
    func forecast(of instance: Instance) -> GrowthForecast? {
        var all = plugins.trackerList.flatMap { $0.forecasts(of: instance.name).map { GrowthForecast.pool($0.pool, $0.forecast) } }
        if let memory = instance.machine.verdict?.forecast { all.append(.memory(memory)) }
        return GrowthForecast.soonest(all)
    }

    private func describe(_ instance: Instance) -> String {
        let machine = instance.machine.lifecycle
        switch machine.state {
        case .backoff:
            let wait = machine.deadline.map { max(0, ($0 - now()).seconds) } ?? 0
            if machine.reason == .restartThrottled {
                let limit = instance.program.startLimitBurst
                return "\(instance.machine.lastExit.map { "\($0); " } ?? "")start limit: \(limit) starts within \(DurationText.format(instance.program.startLimitInterval)); "
                    + "next start in \(LeakMessage.oneDecimal(wait))s"
            }
            let why = instance.machine.lastSpawnFailure ?? instance.machine.lastExit?.description
            return "backing off after \(machine.failedStarts) failed starts\(why.map { " (\($0))" } ?? ""); next attempt in \(LeakMessage.oneDecimal(wait))s"
        case .fatal:
            return ProcessCause.fatal(spawnFailure: instance.machine.lastSpawnFailure, exit: instance.machine.lastExit,
                                      failedStarts: machine.failedStarts, reason: machine.reason)
        case .exited:
            return instance.machine.lastExit.map { "exited: \($0)" } ?? "exited"
        case .stopping:
            return machine.killSent ? "stop timeout elapsed, SIGKILL sent" : "waiting for the process tree to exit"
        case .stopped where instance.machine.lifecycle.reason == .stopped:
            // Stopped for a restart loop (`on_loop = "stop"`): the loop says why, while its alert is open.
            return processAlerts.loop(of: instance.name)?.message ?? machine.reason.rawValue
        case .running, .starting, .stopped:
            return machine.reason.rawValue
        }
    }
}

private func round2(_ value: Double) -> Double { (value * 100).rounded() / 100 }
private func round1(_ value: Double) -> Double { (value * 10).rounded() / 10 }
