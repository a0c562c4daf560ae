public import WardenPluginProtocol

/// One element of the supervisor's event stream (`EventBus`): what consumers — the event log, history,
/// metrics, notifications, a dashboard — learn of supervision, published once by the supervisor.
/// `docs/events.md` is the contract.
public enum SupervisionEvent: Sendable, Equatable {
    /// A happening worth a line in `events.jsonl`: a state change, a severity change, a restart with its
    /// evidence, an alert opened or resolved, a reload, …
    case recorded(WardenEvent)
    /// The measurements of one sampling round.
    case sampled(SampleRound)
    /// The pools a collector plugin answered one `collect` with, as it sent them.
    case collected(PoolRound)
}

/// One collector's answer to one `collect`.
public struct PoolRound: Sendable, Equatable {
    /// The collector's name (`[collectors.NAME]`).
    public var collector: String
    /// When Warden received the answer, seconds since the Unix epoch.
    public var secondsSinceEpoch: Double
    public var pools: [PoolSample]

    public init(collector: String, secondsSinceEpoch: Double, pools: [PoolSample]) {
        self.collector = collector; self.secondsSinceEpoch = secondsSinceEpoch; self.pools = pools
    }
}

/// The measurements of one sampling round, for every instance that has a live process.
public struct SampleRound: Sendable, Equatable {
    /// When the round was taken, seconds since the Unix epoch.
    public var secondsSinceEpoch: Double
    public var processes: [ProcessMeasurement]
    /// CPU time Warden spent reading /proc for this round, seconds.
    public var samplingCPUSeconds: Double
    /// Rounds that started late since Warden started, this one included (`SamplingPunctuality`).
    public var lateRounds: Int

    public init(secondsSinceEpoch: Double, processes: [ProcessMeasurement], samplingCPUSeconds: Double = 0,
                lateRounds: Int = 0) {
        self.secondsSinceEpoch = secondsSinceEpoch; self.processes = processes
        self.samplingCPUSeconds = samplingCPUSeconds; self.lateRounds = lateRounds
    }
}

/// One instance at one sampling round.
public struct ProcessMeasurement: Sendable, Equatable {
    /// Instance name (`api:0`).
    public var process: String
    public var program: String
    public var pid: Int32
    public var observation: Observation
    /// The grade after this sample.
    public var severity: SeverityGrade
    /// Robust RSS slope over the detector's window, MiB per minute; `nil` while warming up.
    public var rssGrowthMBPerMinute: Double?
    /// CPU time of the tree since the main process started (user + system, with waited-for children),
    /// seconds, as of the last round that read it (every fifth); `nil` until then.
    public var cpuSeconds: Double?
    /// When the main process was spawned, seconds since the Unix epoch.
    public var startTimeSeconds: Double?
    /// Soft RLIMIT_NOFILE of the main process; `nil` when unreadable.
    public var maxFDs: UInt64?

    public init(process: String, program: String, pid: Int32, observation: Observation, severity: SeverityGrade,
                rssGrowthMBPerMinute: Double?, cpuSeconds: Double? = nil, startTimeSeconds: Double? = nil,
                maxFDs: UInt64? = nil) {
        self.process = process; self.program = program; self.pid = pid; self.observation = observation
        self.severity = severity; self.rssGrowthMBPerMinute = rssGrowthMBPerMinute
        self.cpuSeconds = cpuSeconds; self.startTimeSeconds = startTimeSeconds; self.maxFDs = maxFDs
    }
}
