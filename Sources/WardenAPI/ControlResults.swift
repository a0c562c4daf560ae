public import WardenCore

/// Body of a successful `POST /v1/reload`: `{"changes": ["added program worker", ...]}`.
///
/// `changes` holds one human line per applied difference, empty when the file did not change. An
/// invalid file is not a `ReloadResult` but a 422 `APIErrorBody` whose message holds the diagnostics,
/// one `FILE:LINE: message` per line.
public struct ReloadResult: Codable, Sendable, Equatable {
    /// What the reload changed, one human line each.
    public var changes: [String]
    public init(changes: [String]) { self.changes = changes }
}

/// Body of `GET /v1/health`: `{"status": "ok", "notify_datagrams": {"accepted": 3, "malformed": 0,
/// "unknown_sender": 1}}` while the control API answers.
public struct HealthStatus: Codable, Sendable, Equatable {
    /// Always `"ok"` in a 200 answer.
    public var status: String
    /// Counters of the workers' notify socket since Warden started.
    public var notifyDatagrams: NotifyDatagramCounts?
    /// What /proc sampling has cost since Warden started.
    public var sampling: SamplingCounts?
    /// Each subscriber of the event stream (`events.jsonl`, …): events delivered and dropped because its
    /// buffer was full (`docs/events.md`).
    public var eventSubscribers: [EventSubscriberCounts]?
    /// Events that could not be written to `events.jsonl` (disk full, I/O error).
    public var eventsFailedWrites: Int?
    /// Rotations of `events.jsonl` that failed (the file then grows on).
    public var eventsFailedRotations: Int?
    /// Bytes of workers' output that could not be written to their log files (disk full, I/O error, a
    /// file that cannot be opened), bytes.
    public var outputDroppedBytes: UInt64?
    /// Rotations of output log files that failed.
    public var outputFailedRotations: UInt64?
    /// The history's account (`[history]`), when it is kept.
    public var history: HistoryHealth?
    /// Each notification sink (`[notify.NAME]`), when there are any.
    public var notifications: [NotificationSinkHealth]?
    /// Host memory pressure as Warden reads it (`[supervisor] memory_pressure*`).
    public var memoryPressure: MemoryPressureHealth?
    public init(status: String, notifyDatagrams: NotifyDatagramCounts? = nil, sampling: SamplingCounts? = nil,
                eventSubscribers: [EventSubscriberCounts]? = nil, eventsFailedWrites: Int? = nil) {
        self.status = status; self.notifyDatagrams = notifyDatagrams; self.sampling = sampling
        self.eventSubscribers = eventSubscribers; self.eventsFailedWrites = eventsFailedWrites
    }
    enum CodingKeys: String, CodingKey {
        case status, sampling, history, notifications
        case memoryPressure = "memory_pressure"
        case notifyDatagrams = "notify_datagrams"
        case eventSubscribers = "event_subscribers"
        case eventsFailedWrites = "events_failed_writes"
        case eventsFailedRotations = "events_failed_rotations"
        case outputDroppedBytes = "output_dropped_bytes"
        case outputFailedRotations = "output_failed_rotations"
    }
}

/// `/v1/health`'s `memory_pressure`: the state of the pressure rule and the last PSI reading.
public struct MemoryPressureHealth: Codable, Sendable, Equatable {
    /// `disabled`, `unavailable` (no PSI: nothing happens), `calm`, `stalling`, `cooling-down`.
    public var state: MemoryPressureCondition
    /// The PSI file read.
    public var file: String
    /// The last reading's `full avg10`, `full avg60`, `some avg10`, percent; absent without a reading.
    public var fullAvg10: Double?
    public var fullAvg60: Double?
    public var someAvg10: Double?
    /// `memory_pressure_full`, percent.
    public var thresholdPercent: Double
    /// While cooling down: the worker restarted for pressure.
    public var lastVictim: String?

    public init(state: MemoryPressureCondition, file: String, reading: MemoryPressure?, thresholdPercent: Double,
                lastVictim: String?) {
        self.state = state; self.file = file; self.fullAvg10 = reading?.full.avg10; self.fullAvg60 = reading?.full.avg60
        self.someAvg10 = reading?.some.avg10; self.thresholdPercent = thresholdPercent; self.lastVictim = lastVictim
    }

    enum CodingKeys: String, CodingKey {
        case state, file
        case fullAvg10 = "full_avg10", fullAvg60 = "full_avg60", someAvg10 = "some_avg10"
        case thresholdPercent = "threshold_percent", lastVictim = "last_victim"
    }
}

/// What Warden could not write since it started: events, workers' output, rotations (`/v1/health`,
/// `/metrics`).
public struct WardenLosses: Sendable, Equatable {
    /// Events not written to `events.jsonl`.
    public var eventsFailedWrites: Int
    /// Failed rotations of `events.jsonl`.
    public var eventsFailedRotations: Int
    /// Bytes of workers' output not written to their logs.
    public var outputDroppedBytes: UInt64
    /// Failed rotations of output logs.
    public var outputFailedRotations: UInt64
    public init(eventsFailedWrites: Int, eventsFailedRotations: Int, outputDroppedBytes: UInt64, outputFailedRotations: UInt64) {
        self.eventsFailedWrites = eventsFailedWrites; self.eventsFailedRotations = eventsFailedRotations
        self.outputDroppedBytes = outputDroppedBytes; self.outputFailedRotations = outputFailedRotations
    }
}

/// One notification sink (`[notify.NAME]`), as `/v1/health` reports it. Counts since Warden started.
public struct NotificationSinkHealth: Codable, Sendable, Equatable {
    public var name: String
    /// `scheme://host[:port]` and `/…` when the URL has more: never its path, query or user information.
    public var url: String
    /// `json`, `slack` or `alertmanager`.
    public var format: String
    /// Requests delivered (a 2xx answer).
    public var sent: Int
    /// Requests given up on: not retryable (410, other 4xx) or out of attempts.
    public var failed: Int
    /// Requests dropped because the sink's queue was full.
    public var dropped: Int
    /// Requests not yet delivered (waiting, being sent, or waiting for a retry).
    public var queued: Int
    /// Attempts that were retried.
    public var retries: Int
    /// Why the last attempt failed (`HTTP 503`, `timed out after 10.0 s`, a connection error); absent after a
    /// success.
    public var lastError: String?

    public init(name: String, url: String, format: String, sent: Int, failed: Int, dropped: Int, queued: Int, retries: Int,
                lastError: String?) {
        self.name = name; self.url = url; self.format = format; self.sent = sent; self.failed = failed
        self.dropped = dropped; self.queued = queued; self.retries = retries; self.lastError = lastError
    }
    enum CodingKeys: String, CodingKey {
        case name, url, format, sent, failed, dropped, queued, retries
        case lastError = "last_error"
    }
}

/// What reports the notification sinks' counters (`/v1/health`, `/metrics`).
public protocol NotificationsReporting: Sendable {
    /// Every sink, sorted by name.
    func health() -> [NotificationSinkHealth]
}

/// One subscriber of the event stream, as `/v1/health` reports it.
public struct EventSubscriberCounts: Codable, Sendable, Equatable {
    public var name: String
    /// Events handed to its buffer.
    public var delivered: Int
    /// Events lost because its buffer was full.
    public var dropped: Int
    public init(name: String, delivered: Int, dropped: Int) {
        self.name = name; self.delivered = delivered; self.dropped = dropped
    }
}

/// The cost and punctuality of Warden's /proc sampling since it started: every `sample_interval`, one round reads every
/// process of every running tree (`/proc/PID/stat`, `statm`, the fd count) and works out tree membership.
///
/// `cpu_seconds` is the CPU time (user + system) of the thread running each round, measured with
/// `CLOCK_THREAD_CPUTIME_ID` around the round, which runs to its end on one thread without suspending. It
/// covers the reads and the tree bookkeeping, not what is done with the samples afterwards (the leak
/// detectors, events). `cpu_seconds / processes_read` is the cost of sampling one process once.
public struct SamplingCounts: Codable, Sendable, Equatable {
    /// Sampling rounds done.
    public var rounds: Int
    /// Processes read, summed over the rounds (a tree of three processes counts three per round).
    public var processesRead: Int
    /// CPU time spent in the rounds, seconds.
    public var cpuSeconds: Double
    /// Rounds that started more than one `sample_interval` after they were due (Warden starved of CPU or
    /// stopped: a sample is missing).
    public var lateRounds: Int
    /// The longest time a round started after it was due, late or not, seconds.
    public var maxLateSeconds: Double
    public init(rounds: Int = 0, processesRead: Int = 0, cpuSeconds: Double = 0, lateRounds: Int = 0, maxLateSeconds: Double = 0) {
        self.rounds = rounds; self.processesRead = processesRead; self.cpuSeconds = cpuSeconds
        self.lateRounds = lateRounds; self.maxLateSeconds = maxLateSeconds
    }
    enum CodingKeys: String, CodingKey {
        case rounds
        case processesRead = "processes_read"
        case cpuSeconds = "cpu_seconds"
        case lateRounds = "late_rounds"
        case maxLateSeconds = "max_late_seconds"
    }
}

/// Datagrams received on the notify socket Warden offers its workers (`NOTIFY_SOCKET`).
public struct NotifyDatagramCounts: Codable, Sendable, Equatable {
    /// Applied to a worker.
    public var accepted: Int
    /// Dropped as malformed: no sender credentials, oversized, not UTF-8, a line without `KEY=`.
    public var malformed: Int
    /// Dropped because the sender is no worker's process, or not one `notify_access` allows.
    public var unknownSender: Int
    public init(accepted: Int = 0, malformed: Int = 0, unknownSender: Int = 0) {
        self.accepted = accepted; self.malformed = malformed; self.unknownSender = unknownSender
    }
    enum CodingKeys: String, CodingKey {
        case accepted, malformed
        case unknownSender = "unknown_sender"
    }
}

/// Where the control socket lives: `STATE_DIR/warden.sock`.
///
/// The supervisor creates `STATE_DIR` with mode 0700 and the server makes the socket 0600, so only the
/// owner of the Warden process can drive it (unix socket paths are limited to 107 bytes).
public enum ControlSocket {
    /// File name of the control socket inside the state directory.
    public static let fileName = "warden.sock"
    /// State directory used by client commands when no config file is given, relative to the current
    /// directory.
    public static let defaultStateDirectory = "./.warden"

    /// The control socket path inside `stateDirectory` (a trailing `/` is tolerated).
    public static func path(inStateDirectory stateDirectory: String) -> String {
        stateDirectory.hasSuffix("/") ? stateDirectory + fileName : stateDirectory + "/" + fileName
    }
}
