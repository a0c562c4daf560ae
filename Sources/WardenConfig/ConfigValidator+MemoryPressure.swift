import TOMLKit
import WardenCore

/// What Warden does under sustained host memory pressure (`[supervisor] memory_pressure`).
public enum MemoryPressureAction: String, Sendable, CaseIterable {
    /// Restart the fastest-growing critical worker (`MemoryPressurePolicy`).
    case restart
    /// Read nothing, do nothing.
    case off
}

extension ConfigValidator {
    /// The memory-pressure keys of `[supervisor]`.
    static let memoryPressureKeys = ["memory_pressure", "memory_pressure_full", "memory_pressure_sustain",
                                     "memory_pressure_cooldown", "memory_pressure_file"]

    /// `memory_pressure` (`restart` | `off`), `memory_pressure_full` (percent, 0 < x <= 100),
    /// `memory_pressure_sustain` and `memory_pressure_cooldown` (> 0) and `memory_pressure_file` (a path,
    /// relative to the config file's directory) of the `[supervisor]` table; defaults for what is absent or
    /// invalid, each problem reported at its key.
    mutating func validateMemoryPressure(_ table: TOMLTable, at path: [String]) -> MemoryPressurePolicy {
        var policy = MemoryPressurePolicy()
        if let value = table["memory_pressure"], let action: MemoryPressureAction = choice(value, at: path + ["memory_pressure"]) {
            policy.enabled = action == .restart
        }
        let fullPath = path + ["memory_pressure_full"]
        if let value = table["memory_pressure_full"], let percent = number(value, at: fullPath, unit: "percent of wall time") {
            if percent > 0, percent <= 100 {
                policy.fullAvg10Percent = percent
            } else {
                report(fullPath, "must be a percentage above 0 and at most 100 (full avg10 of /proc/pressure/memory), got \(TOMLText.number(percent))")
            }
        }
        if let value = table["memory_pressure_sustain"],
           let sustain = duration(value, at: path + ["memory_pressure_sustain"], positive: true) {
            policy.sustain = sustain
        }
        if let value = table["memory_pressure_cooldown"],
           let cooldown = duration(value, at: path + ["memory_pressure_cooldown"], positive: true) {
            policy.cooldown = cooldown
        }
        if let value = table["memory_pressure_file"], let file = self.path(value, at: path + ["memory_pressure_file"]) {
            policy.file = file
        }
        return policy
    }
}
