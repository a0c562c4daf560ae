import TOMLKit
import WardenCore

/// What Warden does when a program's process is in a restart loop (`on_loop`).
public enum LoopAction: String, Codable, Sendable, CaseIterable {
    /// Raise the `restart-loop` alert, log each further restart, and keep restarting.
    case alert
    /// Raise the alert and stop the process (reason `restart-loop`), as Circus's flapping plugin does.
    case stop
}

extension ConfigValidator {
    /// The restart-loop keys of a `[programs.NAME]` table.
    static let restartLoopKeys = ["loop_restarts", "loop_window", "alert_quiet", "on_loop"]

    /// `loop_restarts` (0...1,000,000; 0 = off), `loop_window` (> 0), `alert_quiet` (> 0, default the
    /// window) and `on_loop` (`alert` | `stop`) of the program table at `path`; defaults for what is absent
    /// or invalid (each problem reported at its key).
    mutating func validateRestartLoop(_ table: TOMLTable, at path: [String]) -> RestartLoopPolicy {
        var policy = RestartLoopPolicy()
        if let value = table["loop_restarts"], let count = integer(value, at: path + ["loop_restarts"], in: 0...1_000_000) {
            policy.restarts = count
        }
        var window: Duration?
        if let value = table["loop_window"], let duration = duration(value, at: path + ["loop_window"], positive: true) {
            window = duration
            policy.windowSeconds = duration.seconds
        }
        policy.quietSeconds = policy.windowSeconds
        if let value = table["alert_quiet"], let duration = duration(value, at: path + ["alert_quiet"], positive: true) {
            policy.quietSeconds = duration.seconds
        }
        if let value = table["on_loop"], let action: LoopAction = choice(value, at: path + ["on_loop"]) {
            policy.stopOnLoop = action == .stop
        }
        if policy.restarts == 1, table["loop_restarts"] != nil {
            let span = window.map(DurationText.format) ?? "10m"
            report(path + ["loop_restarts"], "must be 0 (off) or at least 2: one restart within \(span) is not a loop")
            policy.restarts = RestartLoopPolicy().restarts
        }
        return policy
    }
}
