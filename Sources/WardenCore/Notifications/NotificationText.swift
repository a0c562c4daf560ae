/// The human text of notifications: one line naming the process, what happened and the key figures
/// (Slack's `text`, Alertmanager's `summary` and `evidence`).
public enum NotificationText {
    /// What happened, e.g. `api:0 restarted for memory-growth: RSS growing 240.0 MiB/min over 30 s
    /// (critical 15.0 MiB/min)` or `high-usage alert on postgres://db:5432/app (collector pg): usage 85 %`.
    public static func summary(_ event: WardenEvent) -> String {
        let subject = event.process ?? event.collector ?? "warden"
        let reason = event.reason ?? event.event.rawValue
        var text: String
        switch event.event {
        case .leakRestart: text = "\(subject) restarted for \(reason)"
        case .leakAlert: text = "\(subject) \(reason) (alert only, not restarted)"
        case .watchdog: text = "\(subject) restarted by its watchdog (\(reason))"
        case .stateChange:
            text = "\(subject) is \(event.newState?.rawValue ?? "?") (\(reason)"
                + (event.exitStatus.map { ", last \($0)" } ?? "") + ")"
        case .poolAlert, .poolAlertResolved:
            let place = [event.pool, event.collector.map { "(collector \($0))" }].compactMap { $0 }.joined(separator: " ")
            text = (event.event == .poolAlertResolved ? "resolved: " : "") + "\(reason) alert on \(place)"
                + (event.process.map { " for \($0)" } ?? "")
        case .processAlert, .processAlertResolved:
            text = (event.event == .processAlertResolved ? "resolved: " : "") + "\(reason) alert for \(subject)"
                + (event.alertReason.map { " (\($0))" } ?? "")
                + (event.occurrences.map { ", \($0) occurrences" } ?? "")
        case .plugin: text = "collector plugin \(subject): \(reason)"
        default: text = "\(subject) \(event.event.rawValue) \(reason)"
        }
        if let message = event.message, !message.isEmpty { text += ": " + message }
        return text
    }

    /// The evidence's figures, e.g. `RSS 300.0 MiB (tree 310.2 MiB), growing 240.0 MiB/min over 30 s,
    /// 12 fds, 4 threads`; `nil` without evidence.
    public static func figures(_ evidence: WardenEvent.Evidence?) -> String? {
        guard let evidence else { return nil }
        var parts: [String] = []
        if let rss = evidence.rssBytes {
            parts.append("RSS \(ByteSize(bytes: rss))" + (evidence.treeRSSBytes.map { " (tree \(ByteSize(bytes: $0)))" } ?? ""))
        }
        if let growth = evidence.rssGrowthMBPerMin {
            parts.append("growing \(LeakMessage.oneDecimal(growth)) MiB/min"
                + (evidence.windowSeconds.map { " over \(Int($0)) s" } ?? ""))
        }
        if let fds = evidence.fds {
            parts.append("\(fds) fds" + (evidence.fdGrowthPerMin.map { " (+\(LeakMessage.oneDecimal($0))/min)" } ?? ""))
        }
        if let threads = evidence.threads {
            parts.append("\(threads) threads" + (evidence.threadGrowthPerMin.map { " (+\(LeakMessage.oneDecimal($0))/min)" } ?? ""))
        }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// Slack's one line: `[warning] web-1: api:0 restarted for memory-growth: … — RSS 300.0 MiB, …`.
    public static func line(_ event: WardenEvent, host: String) -> String {
        let severity = Notifiable.severity(of: event)?.rawValue ?? PoolAlert.Severity.warning.rawValue
        return "[\(severity)] \(host): \(summary(event))" + (figures(event.evidence).map { " — " + $0 } ?? "")
    }
}
