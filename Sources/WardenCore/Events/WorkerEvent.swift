/// Something that happened to one instance, as decided by its `WorkerStateMachine`. The runtime adds the
/// instance name, the pid and the time (`record(process:pid:time:)`) and publishes it.
public enum WorkerEvent: Sendable, Equatable {
    /// A state transition; `exit` is how the process ended, for EXITED, BACKOFF and FATAL; `cause` why a
    /// spawn failed, for a failed start; `restart` why a process that ran before starts again.
    case stateChanged(ProcessStateMachine.Transition, exit: TerminationStatus?, cause: String?, restart: TransitionReason? = nil)
    /// The leak grade changed.
    case severityChanged(from: SeverityGrade, to: SeverityGrade, reason: EventReason, evidence: LeakEvidence?)
    /// `cleanup_signal` went to the main process when severity reached `severity`.
    case cleanupSignalSent(SignalName, severity: SeverityGrade, evidence: LeakEvidence)
    /// A leak or limit verdict that is only reported (`on_critical`/`connection_leak = "alert"`).
    case leakAlert(TransitionReason, evidence: LeakEvidence?, message: String)
    /// Warden restarts the process for a leak or limit verdict.
    case leakRestart(TransitionReason, evidence: LeakEvidence?, message: String)
    /// The watchdog expired (`silence` since the last ping or since RUNNING) or was triggered.
    case watchdogExpired(triggered: Bool, silence: Duration?, period: Duration?)
    /// The process's `ERRNO=` changed.
    case notifyErrno(Int32)

    /// The `events.jsonl` record of this event, for instance `process` of `program`.
    public func record(process: String, program: String, pid: Int32?, time: String) -> WardenEvent {
        var record = record(process: process, pid: pid, time: time)
        record.program = program
        return record
    }

    private func record(process: String, pid: Int32?, time: String) -> WardenEvent {
        switch self {
        case .stateChanged(let t, let exit, let cause, let restart):
            return WardenEvent(time: time, process: process, event: .stateChange, oldState: t.from, newState: t.to,
                               reason: t.reason, pid: pid, exitStatus: exit?.description, restartReason: restart,
                               message: cause)
        case .severityChanged(let from, let to, let reason, let evidence):
            return WardenEvent(time: time, process: process, event: .severityChange, oldSeverity: from.description,
                               newSeverity: to.description, reason: reason, pid: pid, evidence: evidence?.record,
                               provisional: evidence?.verdict.provisional == true ? true : nil)
        case .cleanupSignalSent(let signal, let severity, let evidence):
            return WardenEvent(time: time, process: process, event: .cleanupSignal, reason: TransitionReason.memoryGrowth,
                               pid: pid, evidence: evidence.record, message: "sent \(signal) at severity \(severity)")
        case .leakAlert(let reason, let evidence, let message):
            return WardenEvent(time: time, process: process, event: .leakAlert, reason: reason, pid: pid,
                               evidence: evidence?.record, message: message)
        case .leakRestart(let reason, let evidence, let message):
            return WardenEvent(time: time, process: process, event: .leakRestart, reason: reason, pid: pid,
                               evidence: evidence?.record, message: message)
        case .watchdogExpired(let triggered, let silence, let period):
            let message = triggered ? "WATCHDOG=trigger received"
                : "no WATCHDOG=1 for \(silence.map { LeakMessage.oneDecimal($0.seconds) } ?? "?")s (watchdog \(period.map(DurationText.format) ?? "-"))"
            return WardenEvent(time: time, process: process, event: .watchdog,
                               reason: triggered ? EventReason.trigger : EventReason.missedPing, pid: pid, message: message)
        case .notifyErrno(let number):
            return WardenEvent(time: time, process: process, event: .notify, reason: EventReason.errno, pid: pid,
                               message: "ERRNO=\(number)")
        }
    }
}

/// The measurements and the detector's window behind a leak decision.
public struct LeakEvidence: Sendable, Equatable {
    public var observation: Observation?
    public var verdict: LeakVerdict
    /// A `memory-pressure` restart: the host's PSI figures behind it.
    public var pressure: MemoryPressureEvidence?

    public init(observation: Observation?, verdict: LeakVerdict, pressure: MemoryPressureEvidence? = nil) {
        self.observation = observation; self.verdict = verdict; self.pressure = pressure
    }

    /// The `evidence` object of `events.jsonl`.
    public var record: WardenEvent.Evidence {
        var record = WardenEvent.Evidence(
            rssBytes: observation?.mainRSSBytes, treeRSSBytes: observation?.treeRSSBytes,
            rssGrowthMBPerMin: verdict.rssGrowthMBPerMinute, fds: observation?.fds,
            fdGrowthPerMin: verdict.fdGrowthPerMinute, threads: observation?.threads,
            threadGrowthPerMin: verdict.threadGrowthPerMinute, windowSeconds: verdict.windowSeconds,
            samples: verdict.samples, memoryPressure: pressure?.record)
        record.forecast = verdict.forecast?.summary
        record.forecastSeconds = verdict.forecast.map { ($0.seconds * 10).rounded() / 10 }
        return record
    }
}

/// The human text of leak decisions.
public enum LeakMessage {
    /// Why a verdict restarts (or alerts on) a process, e.g. `RSS growing 31.2 MiB/min over 300 s
    /// (critical 15.0 MiB/min)` or `41 open fds above fds_max 40`.
    public static func restart(_ reason: TransitionReason, verdict: LeakVerdict, observation: Observation,
                               configuration: LeakDetectorConfiguration) -> String {
        switch reason {
        case .memoryGrowth:
            let rate = verdict.rssGrowthMBPerMinute.map(oneDecimal) ?? "?"
            let growth = "RSS growing \(rate) MiB/min over \(Int(verdict.windowSeconds)) s (critical \(configuration.thresholds.critical) MiB/min)"
            guard let forecast = verdict.forecast, verdict.beforeSustain else { return growth }
            return growth + "; \(forecast.summary): acted before the \(Int(configuration.sustain.seconds)) s sustain"
        case .rssMax:
            return "tree RSS \(ByteSize(bytes: observation.treeRSSBytes)) above rss_max \(configuration.rssMaxBytes.map { "\(ByteSize(bytes: $0))" } ?? "?")"
        case .fdsMax:
            return "\(observation.fds) open fds above fds_max \(configuration.fdsMax ?? 0)"
        case .threadsMax:
            return "\(observation.threads) threads above threads_max \(configuration.threadsMax ?? 0)"
        default:
            return reason.rawValue
        }
    }

    /// The figure behind a verdict, short, for the status table's REASON after the reason itself:
    /// `31.2 MiB/min`, `1.2 GB > 1 GB`, `41 fds > 40`, `600 threads > 512`.
    public static func detail(_ reason: TransitionReason, verdict: LeakVerdict, observation: Observation,
                              configuration: LeakDetectorConfiguration) -> String? {
        switch reason {
        case .memoryGrowth:
            return verdict.rssGrowthMBPerMinute.map { "\(oneDecimal($0)) MiB/min" }
        case .rssMax:
            return "\(ByteSize(bytes: observation.treeRSSBytes)) > \(configuration.rssMaxBytes.map { "\(ByteSize(bytes: $0))" } ?? "?")"
        case .fdsMax:
            return "\(observation.fds) fds > \(configuration.fdsMax ?? 0)"
        case .threadsMax:
            return "\(observation.threads) threads > \(configuration.threadsMax ?? 0)"
        default:
            return nil
        }
    }

    /// `12.3`-style text with one decimal.
    public static func oneDecimal(_ value: Double) -> String { "\((value * 10).rounded() / 10)" }
}
