/// What a notification sink (`[notify.NAME]`) is sent: which records of the event stream are notifications
/// at all, how urgent each is, and the sink's own filter (`events`, `min_severity`).
public enum Notifiable {
    /// The kinds that can be notifications: policy restarts (`leak-restart`, `watchdog`), leak alerts,
    /// pool alerts and restart loops (`process-alert`) opened and resolved, a process gone FATAL (`state-change`), a collector plugin that stopped
    /// answering or speaks another protocol (`plugin`). What `events = [...]` may name.
    public static let kinds: [WardenEvent.Kind] = [
        .leakRestart, .leakAlert, .watchdog, .poolAlert, .poolAlertResolved, .processAlert, .processAlertResolved,
        .stateChange, .plugin,
    ]

    /// How urgent `event` is as a notification, or `nil` when it is none.
    ///
    /// A restart Warden made (`leak-restart`, `watchdog`) is a `warning`: it was handled. A leak reported and
    /// not acted on (`leak-alert`), a FATAL process and a plugin speaking another protocol are `critical`:
    /// someone has to act. Pool alerts and restart loops carry their own severity (a process alert of kind
    /// `leak` is none: its `leak-alert` / `leak-restart` records are the notifications); a plugin that stopped answering is a
    /// `warning` (it is restarted).
    public static func severity(of event: WardenEvent) -> PoolAlert.Severity? {
        switch event.event {
        case .leakRestart, .watchdog: return .warning
        case .leakAlert: return .critical
        case .poolAlert, .poolAlertResolved: return event.severity.flatMap(PoolAlert.Severity.init(rawValue:)) ?? .warning
        case .processAlert, .processAlertResolved:
            guard event.reason != AlertKind.leak.rawValue else { return nil }
            return event.severity.flatMap(AlertSeverity.init(rawValue:)) ?? .warning
        case .stateChange: return event.newState == .fatal ? .critical : nil
        case .plugin:
            switch event.reason {
            case TransitionReason.protocolMismatch.rawValue: return .critical
            case TransitionReason.pluginUnresponsive.rawValue: return .warning
            default: return nil
            }
        default: return nil
        }
    }
}

/// A sink's filter: the kinds it takes (`events`, default every `Notifiable.kinds`) and the lowest
/// severity (`min_severity`, default `warning`: everything).
public struct NotificationFilter: Sendable, Equatable {
    /// The kinds taken; `nil` = every notifiable kind.
    public var kinds: Set<WardenEvent.Kind>?
    public var minimumSeverity: PoolAlert.Severity

    public init(kinds: Set<WardenEvent.Kind>? = nil, minimumSeverity: PoolAlert.Severity = .warning) {
        self.kinds = kinds; self.minimumSeverity = minimumSeverity
    }

    /// Whether the sink is sent `event`.
    public func accepts(_ event: WardenEvent) -> Bool {
        guard let severity = Notifiable.severity(of: event) else { return false }
        if let kinds, !kinds.contains(event.event) { return false }
        return severity.rank >= minimumSeverity.rank
    }
}

extension PoolAlert.Severity {
    /// Position in `allCases` (warning 0, critical 1).
    public var rank: Int { Self.allCases.firstIndex(of: self)! }
}

/// The body a sink sends (`format`).
public enum NotificationFormat: String, Sendable, Equatable, CaseIterable {
    /// The record exactly as in `events.jsonl`, one JSON object per request.
    case json
    /// A Slack incoming-webhook message: `{"text": "..."}`, one readable line.
    case slack
    /// Alertmanager's API v2 (`POST /api/v2/alerts`): an array of alerts, re-sent while active.
    case alertmanager
}
