public import WardenCore

/// What changed in one program between two configurations, by config key, for `warden reload`'s lines
/// (`web: numprocs 2 → 3`, `api: command changed, stop_timeout 10s → 20s`). Pure.
///
/// Scalars show both values; `command`, `directory`, `environment` and collector settings only say that they
/// changed: arguments and environment values may hold secrets, and reload lines are logged and recorded.
public enum ProgramChanges {
    /// One key's comparison: whether it differs, and its words.
    private struct Key {
        var name: String
        var differs: (ProgramConfiguration, ProgramConfiguration) -> Bool
        /// The value as the config writes it, or `nil` when only "changed" may be said.
        var value: ((ProgramConfiguration) -> String)?
    }

    private static func key<T: Equatable>(_ name: String, _ path: KeyPath<ProgramConfiguration, T>,
                                          shown: ((T) -> String)? = nil) -> Key {
        Key(name: name, differs: { $0[keyPath: path] != $1[keyPath: path] },
            value: shown.map { format in { format($0[keyPath: path]) } })
    }

    private static func optional<T>(_ value: T?, _ format: (T) -> String) -> String { value.map(format) ?? "none" }
    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// Every key `[programs.X]` and `[programs.X.leak]` has, in the order the README lists them.
    private static var keys: [Key] { [
        key("command", \.command),
        key("directory", \.directory),
        key("environment", \.environment),
        key("numprocs", \.numprocs, shown: { String($0) }),
        key("autostart", \.autostart, shown: { String($0) }),
        key("restart", \.restart, shown: \.rawValue),
        key("start_seconds", \.startSeconds, shown: DurationText.format),
        key("start_retries", \.startRetries, shown: { String($0) }),
        key("backoff", \.backoff, shown: DurationText.format),
        key("backoff_max", \.backoffMax, shown: DurationText.format),
        key("start_limit_burst", \.startLimitBurst, shown: { String($0) }),
        key("start_limit_interval", \.startLimitInterval, shown: DurationText.format),
        key("stop_signal", \.stopSignal, shown: \.rawValue),
        key("stop_timeout", \.stopTimeout, shown: DurationText.format),
        key("log_timestamps", \.logTimestamps, shown: { String($0) }),
        key("ready", \.ready, shown: \.rawValue),
        key("notify_access", \.notifyAccess, shown: \.rawValue),
        key("start_timeout", \.startTimeout, shown: DurationText.format),
        key("watchdog", \.watchdog, shown: { optional($0, DurationText.format) }),
        key("leak.window", \.leak.window, shown: DurationText.format),
        key("leak.sustain", \.leak.sustain, shown: DurationText.format),
        key("leak.low", \.leak.low, shown: number),
        key("leak.medium", \.leak.medium, shown: number),
        key("leak.high", \.leak.high, shown: number),
        key("leak.critical", \.leak.critical, shown: number),
        key("leak.rss_max", \.leak.rssMax, shown: { optional($0) { "\($0)" } }),
        key("leak.fds_max", \.leak.fdsMax, shown: { optional($0) { String($0) } }),
        key("leak.threads_max", \.leak.threadsMax, shown: { optional($0) { String($0) } }),
        key("leak.on_critical", \.leak.onCritical, shown: \.rawValue),
        key("leak.cleanup_signal", \.leak.cleanupSignal, shown: { optional($0, \.rawValue) }),
        key("leak.connection_leak", \.leak.connectionLeak, shown: \.rawValue),
        key("collector", \.collector),
    ] }

    /// The changed keys of a program present in both configurations, e.g. `["numprocs 2 → 3"]` or
    /// `["command changed", "stop_timeout 10s → 20s"]`; `["settings changed"]` when the programs differ in
    /// something this list does not name; empty when they are equal.
    public static func list(from old: ProgramConfiguration, to new: ProgramConfiguration) -> [String] {
        let changes = keys.filter { $0.differs(old, new) }.map { key in
            key.value.map { "\(key.name) \($0(old)) → \($0(new))" } ?? "\(key.name) changed"
        }
        if changes.isEmpty, old != new { return ["settings changed"] }
        return changes
    }

    /// The reload line of a program present in both: `web: numprocs 2 → 3`.
    public static func line(from old: ProgramConfiguration, to new: ProgramConfiguration) -> String {
        "\(new.name): " + list(from: old, to: new).joined(separator: ", ")
    }
}
