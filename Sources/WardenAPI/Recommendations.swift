public import WardenCore

/// One piece of advice derived from the data, citing its numbers (the dashboard's recommendations).
///
/// JSON: `{"kind": "sustained-growth", "subject": "api:1", "severity": "medium", "text": "api:1 graded medium
/// (7.2 MiB/min) for 40 min: set cleanup_signal or rss_max"}`.
public struct Recommendation: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A worker graded medium or worse for a while.
        case sustainedGrowth = "sustained-growth"
        /// A pool at 80 % of its connections or more.
        case poolPressure = "pool-pressure"
        /// A worker restarted 3 times or more for a leak or limit in the last 24 h.
        case repeatedLeakRestarts = "repeated-leak-restarts"
    }

    public var kind: Kind
    /// The process instance or the pool concerned.
    public var subject: String
    /// `medium`, `high`, `critical` (growth), `warning`, `critical` (pools and restarts).
    public var severity: String
    /// One sentence: the finding with its figures, then what to do.
    public var text: String

    public init(kind: Kind, subject: String, severity: String, text: String) {
        self.kind = kind; self.subject = subject; self.severity = severity; self.text = text
    }
}

/// Body of `GET /ui/recommendations`: `{"recommendations": [...]}`, most urgent first.
public struct RecommendationList: Codable, Sendable, Equatable {
    public var recommendations: [Recommendation]
    public init(recommendations: [Recommendation]) { self.recommendations = recommendations }
}

/// Derives recommendations from the API's data. Pure: `now` is seconds since the Unix epoch.
public enum Recommendations {
    /// Growth grades that call for advice.
    static let graded: [String: Int] = ["medium": 1, "high": 2, "critical": 3]
    /// Usage from which a pool calls for advice, and from which it is critical.
    public static let poolWarning = 0.80, poolCritical = 0.95
    /// Leak restarts in 24 h from which a worker calls for advice.
    public static let restartsThreshold = 3

    /// - Parameters:
    ///   - processes: `GET /v1/processes`.
    ///   - pools: `GET /v1/pools`; `poolHistory`: the last hour of `GET /v1/pools/history` (how long usage held).
    ///   - events: the last 24 h of `severity-change` and `leak-restart` events, oldest first.
    public static func derive(processes: [ProcessStatus], pools: [PoolStatus], poolHistory: [PoolHistory],
                              events: [WardenEvent], now: Double) -> [Recommendation] {
        var urgent: [(rank: Int, Recommendation)] = []
        for process in processes {
            if let advice = repeatedRestarts(process, events: events) { urgent.append((4, advice)) }
            if let advice = sustainedGrowth(process, events: events, now: now) {
                urgent.append((graded[advice.severity] ?? 0, advice))
            }
        }
        for pool in pools {
            guard let advice = pressure(pool, history: poolHistory, now: now) else { continue }
            urgent.append((advice.severity == "critical" ? 3 : 1, advice))
        }
        return urgent.enumerated().sorted { ($0.element.rank, -$0.offset) > ($1.element.rank, -$1.offset) }.map(\.element.1)
    }

    /// How long a grade must have held before it calls for advice (a grade just reached, or a worker
    /// already being restarted for it, is not yet a finding): 1 min.
    public static let minimumHeldSeconds = 60.0

    /// "api:1 graded medium (7.2 MiB/min) for 40 min: set cleanup_signal or rss_max"; nothing for a worker
    /// without a pid (stopped or being restarted) or graded so for less than `minimumHeldSeconds`.
    static func sustainedGrowth(_ process: ProcessStatus, events: [WardenEvent], now: Double) -> Recommendation? {
        let severity = process.leak.severity
        guard graded[severity] != nil, process.pid != nil, let rate = process.leak.rssGrowthMBPerMin else { return nil }
        let since = events.last {
            $0.event == .severityChange && $0.process == process.name && $0.newSeverity == severity
        }.flatMap { RFC3339Text.seconds($0.time) }
        if let since, now - since < minimumHeldSeconds { return nil }
        let held = since.map { " for " + duration(now - $0) } ?? ""
        let finding = "\(process.name) graded \(severity) (\(oneDecimal(rate)) MiB/min)\(held)"
        let action: String
        if let signal = process.cleanupSignal {
            action = "cleanup_signal \(signal) is set but growth continues: set rss_max, or check that the worker frees memory on \(signal)"
        } else {
            action = "set cleanup_signal or rss_max"
        }
        return Recommendation(kind: .sustainedGrowth, subject: process.name, severity: severity, text: finding + ": " + action)
    }

    /// "api:0 restarted 6× for memory-growth in the last 24 h: the leak is in the code, see the evidence (last: 31.2 MiB/min)".
    static func repeatedRestarts(_ process: ProcessStatus, events: [WardenEvent]) -> Recommendation? {
        let restarts = events.filter { $0.event == .leakRestart && $0.process == process.name }
        guard restarts.count >= restartsThreshold, let last = restarts.last else { return nil }
        var byReason: [String: Int] = [:]
        for event in restarts { byReason[event.reason ?? "leak", default: 0] += 1 }
        let reason = byReason.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
        var figures: [String] = []
        if let rate = last.evidence?.rssGrowthMBPerMin { figures.append("\(oneDecimal(rate)) MiB/min") }
        if let rss = last.evidence?.treeRSSBytes ?? last.evidence?.rssBytes { figures.append("RSS \(megabytes(rss))") }
        if let fds = last.evidence?.fds, reason == TransitionReason.fdsMax.rawValue { figures.append("\(fds) fds") }
        if let threads = last.evidence?.threads, reason == TransitionReason.threadsMax.rawValue { figures.append("\(threads) threads") }
        let lastFigures = figures.isEmpty ? "" : " (last: " + figures.joined(separator: ", ") + ")"
        return Recommendation(
            kind: .repeatedLeakRestarts, subject: process.name, severity: "critical",
            text: "\(process.name) restarted \(restarts.count)× for \(reason) in the last 24 h: "
                + "restarting only hides it, the leak is in the code; see the evidence\(lastFigures)")
    }

    /// "pool postgres://h:5432/app at 85 % for 1 h: raise max_connections or find the holder, worker api:0 holds 40".
    static func pressure(_ pool: PoolStatus, history: [PoolHistory], now: Double) -> Recommendation? {
        guard let usage = pool.usage, usage >= poolWarning else { return nil }
        let points = history.first { $0.collector == pool.collector && $0.pool == pool.pool }?.points ?? []
        var since: Double?
        for point in points.reversed() {
            guard let value = point.usage, value >= poolWarning, let time = RFC3339Text.seconds(point.time) else { break }
            since = time
        }
        let held = since.map { " for " + duration(now - $0) } ?? ""
        var holder = ""
        if let top = pool.byWorker.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }), top.value > 0 {
            holder = ", worker \(top.key) holds \(top.value)"
        }
        if pool.unattributed > 0 { holder += ", \(pool.unattributed) unattributed" }
        let percent = Int((usage * 100).rounded())
        return Recommendation(
            kind: .poolPressure, subject: "\(pool.collector) \(pool.pool)", severity: usage >= poolCritical ? "critical" : "warning",
            text: "pool \(pool.pool) (\(pool.collector)) at \(percent) % of \(pool.max)\(held): "
                + "raise max_connections or find the holder\(holder)")
    }

    /// "45 s", "40 min", "1.5 h".
    static func duration(_ seconds: Double) -> String {
        let seconds = max(0, seconds)
        if seconds < 60 { return "\(Int(seconds)) s" }
        if seconds < 3_600 { return "\(Int(seconds / 60)) min" }
        let hours = seconds / 3_600
        return hours == hours.rounded() ? "\(Int(hours)) h" : "\(oneDecimal(hours)) h"
    }

    static func oneDecimal(_ value: Double) -> String { LeakMessage.oneDecimal(value) }

    static func megabytes(_ bytes: UInt64) -> String { "\(oneDecimal(Double(bytes) / 1_048_576)) MiB" }
}
