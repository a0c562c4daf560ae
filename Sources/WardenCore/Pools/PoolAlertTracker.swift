public import WardenPluginProtocol

/// The pool alerts of one collector: fed one round of `PoolSample`s per check, it keeps the latest sample
/// of each pool, opens and resolves de-duplicated alerts, and reports connection-leak verdicts.
///
/// Pure and deterministic: no clock is read; `now` is passed in as seconds since the Unix epoch (wall
/// clock, UTC) and becomes the alerts' `startedAt`/`resolvedAt`; sustain is measured on it too.
///
/// ## Alerts (kind: condition, severity)
/// - `exhaustion`: usage `(in_use + idle) / max` >= `exhaustion` on a check; critical. Raised at once.
/// - `high-usage`: usage >= `highUsage` on `highUsageChecks` consecutive checks; warning.
///   Both usage alerts resolve at the first check below their threshold. Usage counts idle connections:
///   an idle connection still occupies a server slot (see `PoolSnapshot.usage`).
/// - `connection-leak`: one worker's own count (its whole tree, `by_worker`) keeps growing, see
///   `ConnectionLeakSeries`; critical. Resolves when the count falls back to where the leak began, or on
///   `workerRestarted(_:at:quietSeconds:)` (after the quiet period, unless the leak recurs: `occurrences`).
/// - `exhaustion-forecast`: a worker's suspected connection leak that kept growing for `highUsageChecks`
///   growing checks after the suspicion (no verdict yet) and the pool's size known: where the leak takes
///   the pool and when (`forecast`); warning. A burst whose ramp ends about its suspicion raises none. The
///   early sight of what a `connection-leak` verdict may confirm: resolves at that verdict (which opens
///   `connection-leak`), when the streak ends, or when the worker is restarted.
/// - `long-running`: one per connection id in `long_running` with `age_seconds >= longRunning`, with its
///   worker; critical when its state is `idle in transaction…` (holds a slot, locks and the vacuum
///   horizon), warning otherwise (a long active query is legitimate work). Resolves when the connection is
///   no longer reported.
/// - `plugin-failure`: raised and resolved by the host (`raisePluginFailure`, `resolvePluginFailure`);
///   critical, as no pool of the collector is being watched meanwhile.
///
/// A condition that holds has exactly one open alert (its `message` is refreshed each check); a
/// resolved alert moves to `resolvedAlerts`, which keeps the last `historyLimit`.
public struct PoolAlertTracker: Sendable {
    /// Collector name (`[collectors.NAME]`), copied into every alert and snapshot.
    public let collector: String
    /// Thresholds applied from the next check on (a reload may replace them).
    public var thresholds: PoolThresholds
    /// Resolved alerts kept, oldest dropped first. Default 200.
    public let historyLimit: Int

    private var snapshots: [String: PoolSnapshot] = [:]
    private var open: [PoolAlert.Key: PoolAlert] = [:]
    /// Resolved alerts, oldest resolution first, at most `historyLimit`.
    public private(set) var resolvedAlerts: [PoolAlert] = []
    private var series: [SeriesKey: ConnectionLeakSeries] = [:]
    private var highUsageRuns: [String: Int] = [:]

    private struct SeriesKey: Hashable, Sendable {
        var pool: String
        var worker: String
    }

    public init(collector: String, thresholds: PoolThresholds = PoolThresholds(), historyLimit: Int = 200) {
        self.collector = collector
        self.thresholds = thresholds
        self.historyLimit = max(0, historyLimit)
    }

    // MARK: State

    /// The latest snapshot of every pool seen, sorted by pool identity.
    public var pools: [PoolSnapshot] {
        snapshots.keys.sorted().compactMap { snapshots[$0] }
    }

    /// Alerts whose condition holds, oldest first.
    public var openAlerts: [PoolAlert] {
        open.values.sorted(by: Self.chronological)
    }

    /// Open and resolved alerts together, by `startedAt` (then kind, pool, worker, connection).
    public var alerts: [PoolAlert] {
        (open.values + resolvedAlerts).sorted(by: Self.chronological)
    }

    /// The leak series of `worker` in `pool` (identity as stored, i.e. redacted), if one is kept.
    public func leakSeries(pool: String, worker: String) -> ConnectionLeakSeries? {
        series[SeriesKey(pool: pool, worker: worker)]
    }

    /// The exhaustion forecasts of `worker`'s suspected connection leaks, by pool (redacted identity).
    public func forecasts(of worker: String) -> [(pool: String, forecast: ConnectionLeakForecast)] {
        series.compactMap { key, value in key.worker == worker ? value.forecast.map { (key.pool, $0) } : nil }
            .sorted { $0.pool < $1.pool }
    }

    // MARK: Checks

    /// Records one round of samples (the answer to one `collect`) and evaluates every rule.
    /// - Parameters:
    ///   - samples: the pools the collector measured; a pool missing from a round keeps its last state.
    ///   - now: epoch seconds of the check.
    ///   - leakSustain: the leak `sustain` of a worker's program, by instance name (`api:0`); a suspicion
    ///     must hold this long before it is a verdict.
    /// - Returns: alerts opened and resolved, and the workers that crossed into a leak verdict.
    @discardableResult
    public mutating func record(_ samples: [PoolSample], at now: Double, leakSustain: (String) -> Duration) -> PoolCheckResult {
        var result = resolveQuiet(at: now)
        var seen = Set<String>()
        for raw in samples {
            var sample = raw
            sample.pool = CredentialRedaction.redact(raw.pool)
            sample.longRunning = raw.longRunning.map { connection in
                var copy = connection
                copy.client = connection.client.map(CredentialRedaction.redact)
                copy.state = CredentialRedaction.redact(connection.state)
                return copy
            }
            guard seen.insert(sample.pool).inserted else { continue }  // one sample per pool and round
            snapshots[sample.pool] = PoolSnapshot(collector: collector, sample: sample, recordedAt: now)
            evaluateUsage(sample, at: now, into: &result)
            evaluateLongRunning(sample, at: now, into: &result)
            evaluateLeaks(sample, at: now, leakSustain: leakSustain, into: &result)
        }
        return result
    }

    /// The process of `worker` was replaced (restart, crash, new PID): its counts start afresh in every
    /// pool. Its open `connection-leak` alerts resolve (the leaking process is gone) — after `quietSeconds`
    /// when given: a leak found again in the next process within it counts on the same alert
    /// (`occurrences`) instead of a resolve and a new alert at every restart.
    @discardableResult
    public mutating func workerRestarted(_ worker: String, at now: Double, quietSeconds: Double? = nil) -> PoolCheckResult {
        var result = PoolCheckResult()
        for key in series.keys.sorted(by: { $0.pool < $1.pool }) where key.worker == worker {
            _ = series[key]?.restart()
            series[key] = nil
        }
        let forecasts = open.keys.filter { $0.kind == .exhaustionForecast && $0.worker == worker }.sorted(by: Self.keyOrder)
        for key in forecasts { resolve(key, at: now, into: &result) }
        let leaks = open.keys.filter { $0.kind == .connectionLeak && $0.worker == worker }.sorted(by: Self.keyOrder)
        for key in leaks {
            if let quietSeconds { open[key]?.resolvesAt = now + quietSeconds } else { resolve(key, at: now, into: &result) }
        }
        return result
    }

    /// Resolves the restarted workers' `connection-leak` alerts whose quiet period passed without the leak
    /// recurring (also done by every `record`).
    @discardableResult
    public mutating func resolveQuiet(at now: Double) -> PoolCheckResult {
        var result = PoolCheckResult()
        let due = open.values.filter { ($0.resolvesAt ?? .infinity) <= now }.map(\.key).sorted(by: Self.keyOrder)
        for key in due { resolve(key, at: now, into: &result) }
        return result
    }

    // MARK: Plugin failures

    /// Opens the collector's `plugin-failure` alert, or refreshes its message when it is open.
    /// - Parameter message: what went wrong (`"no answer to collect 7 within 5s"`); credentials are redacted.
    @discardableResult
    public mutating func raisePluginFailure(_ message: String, at now: Double) -> PoolCheckResult {
        var result = PoolCheckResult()
        ensureOpen(
            alertKey(.pluginFailure, pool: nil), severity: .critical,
            message: "collector \(collector): \(CredentialRedaction.redact(message))", at: now, into: &result)
        return result
    }

    /// Resolves the collector's `plugin-failure` alert, if open (the plugin answered again).
    @discardableResult
    public mutating func resolvePluginFailure(at now: Double) -> PoolCheckResult {
        var result = PoolCheckResult()
        resolve(alertKey(.pluginFailure, pool: nil), at: now, into: &result)
        return result
    }

    /// Resolves every open alert (the collector was removed by a reload, or Warden stops).
    @discardableResult
    public mutating func resolveAll(at now: Double) -> PoolCheckResult {
        var result = PoolCheckResult()
        for alert in openAlerts { resolve(alert.key, at: now, into: &result) }
        return result
    }

    // MARK: Rules

    private mutating func evaluateUsage(_ sample: PoolSample, at now: Double, into result: inout PoolCheckResult) {
        let pool = sample.pool
        let usage = PoolSnapshot.usage(of: sample)
        // Who holds the pool: the three biggest holders (and the unattributed), so an exhausted pool names
        // the worker to look at even when no leak rule could act.
        let holders = sample.byWorker.filter { $0.value > 0 }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3)
            .map { "\($0.key) \($0.value)" } + (sample.unattributed > 0 ? ["unattributed \(sample.unattributed)"] : [])
        let describe = { (what: String, usage: Double) -> String in
            let waiting = sample.waiting.map { ", \($0) waiting" } ?? ""
            return "\(pool) \(what): \(sample.inUse + sample.idle) of \(sample.max) connections taken "
                + "(\(Self.percent(usage)), \(sample.inUse) in use, \(sample.idle) idle\(waiting))"
                + (holders.isEmpty ? "" : "; biggest holders: " + holders.joined(separator: ", "))
        }

        let exhaustionKey = alertKey(.exhaustion, pool: pool)
        if let usage, usage >= thresholds.exhaustion {
            ensureOpen(exhaustionKey, severity: .critical, message: describe("is exhausted", usage), at: now, into: &result)
        } else {
            resolve(exhaustionKey, at: now, into: &result)
        }

        let highKey = alertKey(.highUsage, pool: pool)
        if let usage, usage >= thresholds.highUsage {
            let run = (highUsageRuns[pool] ?? 0) + 1
            highUsageRuns[pool] = run
            if run >= thresholds.highUsageChecks {
                ensureOpen(highKey, severity: .warning, message: describe("has high usage", usage), at: now, into: &result)
            }
        } else {
            highUsageRuns[pool] = nil
            resolve(highKey, at: now, into: &result)
        }
    }

    private mutating func evaluateLongRunning(_ sample: PoolSample, at now: Double, into result: inout PoolCheckResult) {
        let pool = sample.pool
        var current = Set<PoolAlert.Key>()
        let limit = thresholds.longRunningSeconds
        let reported = sample.longRunning.filter { $0.ageSeconds >= limit }
            .sorted { ($0.id, $0.worker ?? "") < ($1.id, $1.worker ?? "") }
        for connection in reported {
            let key = alertKey(.longRunning, pool: pool, worker: connection.worker, connection: connection.id)
            guard current.insert(key).inserted else { continue }
            let stuck = connection.state.lowercased().hasPrefix("idle in transaction")
            let holder = connection.worker ?? "unattributed"
            let client = connection.client.map { ", client \($0)" } ?? ""
            let message = "connection \(connection.id) to \(pool) (\(holder)\(client)) \(connection.state) for "
                + "\(Int(connection.ageSeconds.rounded(.down))) s"
                + (stuck ? "; consider idle_in_transaction_session_timeout" : "")
            ensureOpen(key, severity: stuck ? .critical : .warning, message: message, at: now, into: &result)
        }
        let stale = open.keys.filter { $0.kind == .longRunning && $0.pool == pool && !current.contains($0) }
        for key in stale.sorted(by: Self.keyOrder) { resolve(key, at: now, into: &result) }
    }

    private mutating func evaluateLeaks(
        _ sample: PoolSample, at now: Double, leakSustain: (String) -> Duration, into result: inout PoolCheckResult
    ) {
        let pool = sample.pool
        let known = series.keys.filter { $0.pool == pool }.map(\.worker)
        let workers = Set(sample.byWorker.keys).union(known).sorted()
        let room = PoolRoom(used: sample.inUse + sample.idle, max: sample.max, thresholds: thresholds)
        for worker in workers {
            let key = SeriesKey(pool: pool, worker: worker)
            var workerSeries = series[key] ?? ConnectionLeakSeries()
            let count = max(0, sample.byWorker[worker] ?? 0)
            let sustain = Self.seconds(leakSustain(worker))
            let step = workerSeries.observe(count: count, at: now, thresholds: thresholds, sustainSeconds: sustain, room: room)
            series[key] = workerSeries.isIdle ? nil : workerSeries
            let forecastKey = alertKey(.exhaustionForecast, pool: pool, worker: worker)
            // The warning needs the growth to go on past the suspicion for `highUsageChecks` growing checks,
            // the burst guard the usage alert has: a burst whose ramp ends about when it is suspected warns
            // nobody, while a leak still warns before its verdict. Status and the API show the forecast
            // from the suspicion on.
            if step == .none, let forecast = workerSeries.forecast, let since = workerSeries.suspectedSince,
               workerSeries.growingChecks >= thresholds.leakChecks + thresholds.highUsageChecks {
                let message = "\(worker) may exhaust \(pool): \(forecast.summary) (\(forecast.used) of "
                    + "\(sample.max) connections taken; connection leak suspected for \(Int((now - since).rounded())) s, "
                    + "verdict after the \(Int(sustain)) s sustain or sooner if the pool would run out first)"
                ensureOpen(forecastKey, severity: .warning, message: message, forecast: forecast, at: now, into: &result)
            } else {
                resolve(forecastKey, at: now, into: &result)
            }
            switch step {
            case .none:
                break
            case .verdict(let evidence):
                let held = Int((now - evidence.suspectedSince).rounded())
                let taken = sample.max > 0 ? "; the pool held \(sample.inUse + sample.idle) of \(sample.max) connections" : ""
                let when: String
                if !evidence.beforeSustain {
                    when = "held for \(held) s"
                } else if (evidence.forecast?.secondsToExhaustion ?? 1) <= 0 {
                    when = "acted at once: the pool is exhausted"
                } else {
                    when = "acted after \(held) s, before the \(Int(evidence.sustainSeconds)) s sustain, to keep the pool from running out"
                }
                let message = "\(worker) keeps opening connections to \(pool): \(evidence.summary); \(when)\(taken)"
                ensureOpen(
                    alertKey(.connectionLeak, pool: pool, worker: worker), severity: .critical, message: message,
                    evidence: evidence, at: now, into: &result)
                result.leakVerdicts.append(
                    ConnectionLeakVerdict(collector: collector, pool: pool, worker: worker, evidence: evidence, message: message))
            case .episodeEnded:
                resolve(alertKey(.connectionLeak, pool: pool, worker: worker), at: now, into: &result)
            }
        }
    }

    // MARK: Alert bookkeeping

    private func alertKey(_ kind: PoolAlert.Kind, pool: String?, worker: String? = nil, connection: String? = nil) -> PoolAlert.Key {
        PoolAlert.Key(kind: kind, collector: collector, pool: pool, worker: worker, connection: connection)
    }

    private mutating func ensureOpen(
        _ key: PoolAlert.Key, severity: PoolAlert.Severity, message: String, evidence: ConnectionLeakEvidence? = nil,
        forecast: ConnectionLeakForecast? = nil, at now: Double, into result: inout PoolCheckResult
    ) {
        if var alert = open[key] {
            alert.message = message
            alert.severity = severity
            if let evidence { alert.leakEvidence = evidence }
            if let forecast { alert.forecast = forecast }
            if alert.resolvesAt != nil {   // the leak recurred in the worker's next process
                alert.resolvesAt = nil
                alert.occurrences += 1
                alert.message += " (occurrence \(alert.occurrences))"
            }
            open[key] = alert
            return
        }
        var alert = PoolAlert(
            kind: key.kind, severity: severity, collector: collector, pool: key.pool, worker: key.worker,
            connection: key.connection, startedAt: now, message: message, leakEvidence: evidence)
        alert.forecast = forecast
        open[key] = alert
        result.opened.append(alert)
    }

    private mutating func resolve(_ key: PoolAlert.Key, at now: Double, into result: inout PoolCheckResult) {
        guard var alert = open.removeValue(forKey: key) else { return }
        alert.resolvedAt = now
        result.resolved.append(alert)
        resolvedAlerts.append(alert)
        if resolvedAlerts.count > historyLimit { resolvedAlerts.removeFirst(resolvedAlerts.count - historyLimit) }
    }

    // MARK: Helpers

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return max(0, Double(seconds) + Double(attoseconds) / 1e18)
    }

    static func percent(_ fraction: Double) -> String {
        "\(Int((fraction * 100).rounded())) %"
    }

    static func keyOrder(_ a: PoolAlert.Key, _ b: PoolAlert.Key) -> Bool {
        (a.pool ?? "", a.kind.rawValue, a.worker ?? "", a.connection ?? "")
            < (b.pool ?? "", b.kind.rawValue, b.worker ?? "", b.connection ?? "")
    }

    static func chronological(_ a: PoolAlert, _ b: PoolAlert) -> Bool {
        if a.startedAt != b.startedAt { return a.startedAt < b.startedAt }
        return keyOrder(a.key, b.key)
    }
}
