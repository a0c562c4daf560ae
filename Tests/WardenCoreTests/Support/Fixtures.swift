import Foundation
@testable import WardenCore

/// A `ProcessStateMachine` driven to `state` through real inputs only (never by poking fields), at times
/// 0–2 s: STOPPING by a stop request, EXITED with restart = never, FATAL with start_retries = 0 (the
/// settings are put back afterwards). RUNNING is reached by READY=1 with notify readiness.
func machineDriven(to state: ProcessState, _ s: ProcessStateMachine.Settings) -> ProcessStateMachine {
    func t(_ seconds: Double) -> Duration { .milliseconds(Int64(seconds * 1000)) }
    var m = ProcessStateMachine(settings: s)
    switch state {
    case .stopped: break
    case .starting: _ = m.start(now: t(0)); _ = m.spawned(now: t(0))
    case .running:
        _ = m.start(now: t(0)); _ = m.spawned(now: t(0))
        _ = s.readiness == .notify ? m.ready(now: t(0.1)) : m.deadlineReached(now: t(1))
    case .backoff: _ = m.start(now: t(0)); _ = m.spawned(now: t(0)); _ = m.exited(.exited(1), now: t(0.5))
    case .stopping: m = machineDriven(to: .running, s); _ = m.stop(now: t(2))
    case .exited:
        var n = s; n.restart = .never
        m = machineDriven(to: .running, n); _ = m.exited(.exited(0), now: t(2)); m.update(settings: s)
    case .fatal:
        var n = s; n.startRetries = 0
        m = ProcessStateMachine(settings: n); _ = m.start(now: t(0)); _ = m.spawned(now: t(0))
        _ = m.exited(.exited(1), now: t(0.1)); m.update(settings: s)
    }
    return m
}

/// The text of a file of the repository, by its path from the package root ("" when unreadable).
func repositoryText(_ path: String) -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    return (try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)) ?? ""
}
