/// What a `ProcessAlertTracker` input asks of the runtime, in order.
public enum ProcessAlertAction: Sendable, Equatable {
    /// Publish the alert's `process-alert` record.
    case opened(ProcessAlert)
    /// Publish the alert's `process-alert-resolved` record.
    case resolved(ProcessAlert)
    /// Log this warning for `process` (a restart loop that goes on, said loudly; an opened alert is logged
    /// by the runtime with its message).
    case warn(process: String, message: String)
    /// Stop `process` with reason `restart-loop` (`on_loop = "stop"`); `message` says why.
    case stop(process: String, message: String)
}

/// The process alerts of every instance: restart loops (a `RestartLoopDetector` per process) and leak
/// verdicts, opened, counted while they recur, and resolved.
///
/// Pure and deterministic: `now` is passed in as seconds since the Unix epoch (wall clock, UTC) and becomes
/// the alerts' `startedAt`/`resolvedAt`; windows and quiet periods are measured on it too.
///
/// - `restart-loop` (critical): `loop_restarts` restarts for one reason within `loop_window`. Every further
///   restart for that reason counts on the open alert (and is logged); it resolves after `alert_quiet` with
///   none. With `on_loop = "stop"` the process is stopped when the loop starts.
/// - `leak` acted on (a leak restart, warning): counted on one open alert per process and reason while the
///   restarted processes keep leaking; resolves after `alert_quiet` without a new verdict.
/// - `leak` only reported (`on_critical = "alert"`, critical): open while the verdict holds (its evidence
///   refreshed each sample); resolves when the verdict no longer demands action or the process ends.
public struct ProcessAlertTracker: Sendable {
    /// Resolved alerts kept, oldest dropped first. Default 200.
    public let historyLimit: Int
    private var detectors: [String: RestartLoopDetector] = [:]
    private var open: [ProcessAlert.Key: ProcessAlert] = [:]
    /// Resolved alerts, oldest resolution first, at most `historyLimit`.
    public private(set) var resolvedAlerts: [ProcessAlert] = []

    public init(historyLimit: Int = 200) { self.historyLimit = max(0, historyLimit) }

    // MARK: State

    /// Alerts open now, oldest first.
    public var openAlerts: [ProcessAlert] { open.values.sorted(by: Self.chronological) }

    /// Open and resolved alerts together, oldest `startedAt` first.
    public var alerts: [ProcessAlert] { (open.values + resolvedAlerts).sorted(by: Self.chronological) }

    /// The open restart-loop alert of `process` (the oldest, when several reasons loop).
    public func loop(of process: String) -> ProcessAlert? {
        openAlerts.first { $0.kind == .restartLoop && $0.process == process }
    }

    /// Whether `process` has an open leak alert that resolves with its condition (`leakSampled` needed).
    public func hasReportedLeak(_ process: String) -> Bool {
        open.values.contains { $0.kind == .leak && $0.process == process && $0.quietSeconds == nil }
    }

    // MARK: Inputs

    /// `process` was restarted for `reason` at `now`; `cause` is the restart's cause in words
    /// (`exit status 1`), `policy` its program's restart-loop settings.
    public mutating func restarted(process: String, program: String, reason: TransitionReason, cause: String?,
                                   policy: RestartLoopPolicy, at now: Double) -> [ProcessAlertAction] {
        var detector = detectors[process] ?? RestartLoopDetector(policy: policy)
        detector.policy = policy
        let step = detector.restarted(reason, at: now)
        detectors[process] = detector.isIdle ? nil : detector
        let window = DurationText.format(.seconds(policy.windowSeconds))
        let last = cause.map { " (last: \($0))" } ?? ""
        let key = ProcessAlert.Key(kind: .restartLoop, process: process, reason: reason)
        switch step {
        case .none:
            return []
        case .loopStarted(_, let count):
            let what = "\(count) restarts for \(reason.rawValue) within \(window)\(last)"
            let response = policy.stopOnLoop ? "stopping it (on_loop = \"stop\")" : "still restarting (on_loop = \"alert\")"
            let alert = ProcessAlert(
                kind: .restartLoop, severity: .critical, process: process, program: program, reason: reason,
                startedAt: now, occurrences: count, message: "restart loop: \(what); \(response)",
                quietSeconds: policy.quietSeconds)
            open[key] = alert
            return [.opened(alert)] + (policy.stopOnLoop ? [.stop(process: process, message: "restart loop: \(what)")] : [])
        case .loopContinues(_, let count):
            guard var alert = open[key] else { return [] }
            alert.occurrences = count
            alert.lastSeenAt = now
            // The count includes the restarts that opened the alert, which came before `startedAt`: say when
            // the alert opened, not "since" it.
            alert.message = "restart loop: \(count) restarts for \(reason.rawValue) (\(policy.restarts) within \(window) opened "
                + "this alert at \(RFC3339Text.string(secondsSinceEpoch: alert.startedAt)))\(last); still restarting"
            open[key] = alert
            return [.warn(process: process, message: alert.message)]
        }
    }

    /// A leak or limit verdict for `process`: `restarted` when Warden restarts it for the verdict, `false`
    /// when it is only reported (`on_critical = "alert"`). `message` has the rate or the limit.
    public mutating func leakVerdict(process: String, program: String, reason: TransitionReason,
                                     evidence: WardenEvent.Evidence?, message: String, restarted: Bool,
                                     policy: RestartLoopPolicy, at now: Double) -> [ProcessAlertAction] {
        let key = ProcessAlert.Key(kind: .leak, process: process, reason: reason)
        if var alert = open[key] {
            alert.occurrences += 1
            alert.lastSeenAt = now
            alert.message = message
            if let evidence { alert.evidence = evidence }
            alert.quietSeconds = restarted ? policy.quietSeconds : nil
            alert.severity = restarted ? .warning : .critical
            open[key] = alert
            return []
        }
        let alert = ProcessAlert(
            kind: .leak, severity: restarted ? .warning : .critical, process: process, program: program, reason: reason,
            startedAt: now, occurrences: 1, message: message, evidence: evidence,
            quietSeconds: restarted ? policy.quietSeconds : nil)
        open[key] = alert
        return [.opened(alert)]
    }

    /// One sample of `process`: `action` is what its detector's verdict demands now (`nil`: nothing), and
    /// `critical` whether its final memory grade is critical. A reported leak alert whose condition still
    /// holds gets the new evidence; one that no longer holds resolves. A memory-growth alert holds while the
    /// grade stays critical: the verdict's demand pauses while growth bends for a moment (a saturating
    /// stretch), and the alert had resolved while the worker was still graded critical.
    public mutating func leakSampled(process: String, action: TransitionReason?, critical: Bool,
                                     evidence: WardenEvent.Evidence?, at now: Double) -> [ProcessAlertAction] {
        var actions: [ProcessAlertAction] = []
        for key in keys(of: process, kind: .leak) where open[key]?.quietSeconds == nil {
            if key.reason == action || (key.reason == .memoryGrowth && critical) {
                open[key]?.lastSeenAt = now
                if let evidence { open[key]?.evidence = evidence }
            } else {
                actions += resolve(key, at: now)
            }
        }
        return actions
    }

    /// The process of `process` ended (stopped, exited, replaced): its reported leak alerts resolve.
    public mutating func processEnded(_ process: String, at now: Double) -> [ProcessAlertAction] {
        keys(of: process, kind: .leak).filter { open[$0]?.quietSeconds == nil }.flatMap { resolve($0, at: now) }
    }

    /// `process`'s program got new restart-loop settings (a reload). With detection turned off
    /// (`loop_restarts = 0`) its open restart-loop alerts resolve and its counts are forgotten; else the
    /// detector and the open alerts that wait out a quiet period take the new settings.
    public mutating func policyChanged(process: String, policy: RestartLoopPolicy, at now: Double) -> [ProcessAlertAction] {
        if policy.restarts == 0 {
            detectors[process] = nil
            return keys(of: process, kind: .restartLoop).flatMap { resolve($0, at: now) }
        }
        detectors[process]?.policy = policy
        for key in open.keys where key.process == process && open[key]?.quietSeconds != nil {
            open[key]?.quietSeconds = policy.quietSeconds
        }
        return []
    }

    /// Resolves the alerts whose quiet period has passed without a new occurrence.
    public mutating func tick(at now: Double) -> [ProcessAlertAction] {
        for name in detectors.keys.sorted() {
            _ = detectors[name]!.quiet(at: now)
            if detectors[name]!.isIdle { detectors[name] = nil }
        }
        let due = open.values.filter { alert in alert.quietSeconds.map { now - alert.lastSeenAt >= $0 } ?? false }
        return due.sorted(by: Self.chronological).flatMap { resolve($0.key, at: now) }
    }

    /// `process` left the supervised set (a reload removed it): its alerts resolve, its counts are forgotten.
    public mutating func removed(_ process: String, at now: Double) -> [ProcessAlertAction] {
        detectors[process] = nil
        return open.keys.filter { $0.process == process }.sorted(by: Self.keyOrder).flatMap { resolve($0, at: now) }
    }

    // MARK: Bookkeeping

    private func keys(of process: String, kind: AlertKind) -> [ProcessAlert.Key] {
        open.keys.filter { $0.process == process && $0.kind == kind }.sorted(by: Self.keyOrder)
    }

    private mutating func resolve(_ key: ProcessAlert.Key, at now: Double) -> [ProcessAlertAction] {
        guard var alert = open.removeValue(forKey: key) else { return [] }
        alert.resolvedAt = now
        resolvedAlerts.append(alert)
        if resolvedAlerts.count > historyLimit { resolvedAlerts.removeFirst(resolvedAlerts.count - historyLimit) }
        return [.resolved(alert)]
    }

    static func keyOrder(_ a: ProcessAlert.Key, _ b: ProcessAlert.Key) -> Bool {
        (a.process, a.kind.rawValue, a.reason.rawValue) < (b.process, b.kind.rawValue, b.reason.rawValue)
    }

    static func chronological(_ a: ProcessAlert, _ b: ProcessAlert) -> Bool {
        a.startedAt != b.startedAt ? a.startedAt < b.startedAt : keyOrder(a.key, b.key)
    }
}
