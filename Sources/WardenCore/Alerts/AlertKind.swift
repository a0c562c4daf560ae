/// What an alert is about: the one name table of alert kinds, pool and process alerts alike. Raw values
/// are the API's `kind` strings and the `reason` of `pool-alert` / `process-alert` events.
public enum AlertKind: String, Sendable, Equatable, CaseIterable, Comparable, ReasonVocabulary {
    /// Pool usage `(in_use + idle) / max` at or above `high_usage` for `high_usage_checks` checks.
    case highUsage = "high-usage"
    /// Pool usage at or above `exhaustion`; raised at the first such check.
    case exhaustion
    /// One worker's own connection count kept growing (see `ConnectionLeakSeries`).
    case connectionLeak = "connection-leak"
    /// A suspected connection leak, before its verdict, forecasts the pool's exhaustion (the worker's
    /// streak rate against the pool's room); resolves at the verdict or when the streak ends.
    case exhaustionForecast = "exhaustion-forecast"
    /// One connection in a transaction or query for longer than `long_running`.
    case longRunning = "long-running"
    /// The collector plugin failed (crashed, hung, answered garbage); raised and resolved by the host.
    case pluginFailure = "plugin-failure"
    /// A process was restarted `loop_restarts` times for one reason within `loop_window`.
    case restartLoop = "restart-loop"
    /// A memory-growth or limit verdict (`memory-growth`, `rss-max`, `fds-max`, `threads-max`), acted on
    /// or only reported (`on_critical = "alert"`).
    case leak

    /// Whether the alert concerns one process (`ProcessAlert`) rather than a collector's pool (`PoolAlert`).
    public var isProcessAlert: Bool { self == .restartLoop || self == .leak }

    /// The kinds a collector's `PoolAlertTracker` raises.
    public static let poolKinds = allCases.filter { !$0.isProcessAlert }
    /// The kinds a `ProcessAlertTracker` raises.
    public static let processKinds = allCases.filter(\.isProcessAlert)

    public static func < (lhs: AlertKind, rhs: AlertKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// How urgent an alert (or a notification) is. Raw values are the API's `severity` strings.
public enum AlertSeverity: String, Sendable, Equatable, CaseIterable {
    case warning
    case critical
}
