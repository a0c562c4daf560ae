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
        let verdict = instance.verdict
        let warming = verdict?.warmingUp ?? true
        let leak = LeakStatus(
            severity: running ? instance.lastSeverity : (verdict == nil ? "warming-up" : instance.lastSeverity),
            rssGrowthMBPerMin: warming ? nil : verdict?.rssGrowthMBPerMinute.map(round2),
            fdGrowthPerMin: warming ? nil : verdict?.fdGrowthPerMinute.map(round2),
            threadGrowthPerMin: warming ? nil : verdict?.threadGrowthPerMinute.map(round2),
            samples: verdict?.samples ?? 0)
        let uptime = running ? instance.startedAtMonotonic.map { (now() - $0).seconds } : nil
        return ProcessStatus(
            name: instance.name, program: instance.program.name, state: instance.machine.state,
            pid: running ? instance.pid : nil,
            startedAt: running ? instance.startedAt.map { RFC3339.string(secondsSinceEpoch: $0.secondsSinceEpoch) } : nil,
            uptimeSeconds: uptime.map { ($0 * 10).rounded() / 10 },
            restarts: instance.restarts,
            lastExitStatus: instance.lastExit?.description,
            lastRestartReason: instance.lastRestartReason,
            rssBytes: running ? instance.mainSample?.rssBytes : nil,
            treeRSSBytes: running && instance.mainSample != nil ? instance.tree.rssBytes : nil,
            threads: running ? instance.mainSample?.threads : nil,
            fds: running ? instance.mainSample?.fds : nil,
            treeProcesses: running && instance.mainSample != nil ? instance.tree.processes : nil,
            cpuPercent: running ? instance.cpuPercent : nil,
            leak: leak,
            description: describe(instance),
            statusText: running ? instance.statusText : nil,
            notifyErrno: running ? instance.notifyErrno : nil)
    }

    private func describe(_ instance: Instance) -> String {
        switch instance.machine.state {
        case .backoff:
            let wait = instance.machine.deadline.map { max(0, ($0 - now()).seconds) } ?? 0
            if instance.machine.reason == "start-limit" {
                let limit = instance.program.startLimitBurst
                return "start limit: \(limit) starts within \(DurationText.format(instance.program.startLimitInterval)); "
                    + "next start in \(String(format1: wait))s"
            }
            return "backing off after \(instance.machine.failedStarts) failed starts; next attempt in \(String(format1: wait))s"
        case .fatal:
            return "gave up: \(instance.machine.reason)\(instance.lastExit.map { ", last \($0)" } ?? "")"
        case .exited:
            return instance.lastExit.map { "exited: \($0)" } ?? "exited"
        case .stopping:
            return instance.machine.killSent ? "stop timeout elapsed, SIGKILL sent" : "waiting for the process tree to exit"
        case .running, .starting, .stopped:
            return instance.machine.reason
        }
    }
}

private func round2(_ value: Double) -> Double { (value * 100).rounded() / 100 }
