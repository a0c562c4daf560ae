#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import WardenAPI
import WardenCore

/// Process alerts at the edge: the decisions are `ProcessAlertTracker`'s (restart loops, leak verdicts);
/// here its inputs are taken from the worker events and sampling rounds, and its actions performed —
/// records published (`process-alert`, `process-alert-resolved`), warnings logged, a looping process
/// stopped (`on_loop = "stop"`).
extension Supervisor {
    /// Wall-clock seconds since the epoch: alert times.
    private var wallNow: Double { Date().timeIntervalSince1970 }

    /// Feeds the tracker with a worker event just published for `instance`.
    func trackAlerts(_ event: WorkerEvent, of instance: Instance) {
        guard instance.program.collector == nil || event.isRestart else { return }
        let (name, program, policy, now) = (instance.name, instance.program.name, instance.program.restartLoop, wallNow)
        var actions: [ProcessAlertAction] = []
        switch event {
        case .stateChanged(let t, _, let cause, let restart):
            if let restart, t.to == .starting {
                actions += processAlerts.restarted(process: name, program: program, reason: restart, cause: cause,
                                                   policy: policy, at: now)
            }
            if t.from == .running, t.to != .running { actions += processAlerts.processEnded(name, at: now) }
        case .leakAlert(let reason, let evidence, let message) where reason != .connectionLeak:
            actions += processAlerts.leakVerdict(process: name, program: program, reason: reason, evidence: evidence?.record,
                                                 message: message, restarted: false, policy: policy, at: now)
        case .leakRestart(let reason, let evidence, let message) where reason != .connectionLeak:
            actions += processAlerts.leakVerdict(process: name, program: program, reason: reason, evidence: evidence?.record,
                                                 message: message, restarted: true, policy: policy, at: now)
        default:
            break
        }
        performAlerts(actions)
    }

    /// After `instance` was sampled: a leak only reported stays open (with fresh evidence) while its verdict
    /// holds, and resolves when it no longer does.
    func trackLeakCondition(of instance: Instance) {
        guard processAlerts.hasReportedLeak(instance.name) else { return }
        let machine = instance.machine
        let evidence = machine.verdict.map { LeakEvidence(observation: machine.observation, verdict: $0).record }
        let critical = !machine.provisional && machine.severity == .graded(.critical)
        performAlerts(processAlerts.leakSampled(process: instance.name, action: machine.verdict?.action, critical: critical,
                                                evidence: evidence, at: wallNow))
    }

    /// Once per sampling round: alerts whose quiet period passed resolve (process and restarted-worker
    /// connection-leak alerts alike).
    func resolveQuietAlerts() {
        let now = wallNow
        performAlerts(processAlerts.tick(at: now))
        for (name, result) in plugins.resolveQuiet(at: now) { apply(result, collector: name) }
    }

    /// `name`'s program was reloaded with `policy`: loop detection turned off closes its open loop alert.
    func restartLoopPolicyChanged(of name: String, to policy: RestartLoopPolicy) {
        performAlerts(processAlerts.policyChanged(process: name, policy: policy, at: wallNow))
    }

    /// `name` left the supervised set: its process alerts resolve.
    func forgetAlerts(of name: String) {
        performAlerts(processAlerts.removed(name, at: wallNow))
    }

    /// The `restart_loop` of `name`'s status, when a restart-loop alert is open.
    func restartLoopStatus(of name: String) -> RestartLoopStatus? {
        processAlerts.loop(of: name).map {
            RestartLoopStatus(reason: $0.reason.rawValue, restarts: $0.occurrences,
                              since: RFC3339Text.string(secondsSinceEpoch: $0.startedAt))
        }
    }

    private func performAlerts(_ actions: [ProcessAlertAction]) {
        for action in actions {
            switch action {
            case .opened(let alert):
                publish(alert.record)
                logger.warning("\(alert.process): \(alert.kind.rawValue) alert (\(alert.reason.rawValue)): \(alert.message)",
                               metadata: ["process": "\(alert.process)", "event": "\(WardenEvent.Kind.processAlert.rawValue)"])
            case .resolved(let alert):
                publish(alert.record)
                logger.info("\(alert.process): \(alert.kind.rawValue) alert (\(alert.reason.rawValue)) resolved after \(alert.occurrences) occurrences",
                            metadata: ["process": "\(alert.process)", "event": "\(WardenEvent.Kind.processAlertResolved.rawValue)"])
            case .warn(let process, let message):
                logger.warning("\(process): \(message)", metadata: ["process": "\(process)"])
            case .stop(let process, let message):
                logger.warning("\(process): \(message); stopping it (on_loop = \"stop\")", metadata: ["process": "\(process)"])
                // After the actions being performed now (the restart's spawn): a stop in their middle would
                // come before the spawn it follows.
                Task { await self.stopLooping(process) }
            }
        }
    }

    private func stopLooping(_ name: String) {
        guard let instance = registry[name], !registry.retiring.contains(name) else { return }
        feed(instance) { $0.stop(now: $1, reason: .restartLoop) }
    }
}

extension WorkerEvent {
    /// A change to STARTING of a process that ran before.
    var isRestart: Bool {
        if case .stateChanged(_, _, _, let restart) = self { return restart != nil }
        return false
    }
}
