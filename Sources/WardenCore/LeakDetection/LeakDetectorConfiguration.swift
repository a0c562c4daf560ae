/// Growth thresholds of the leak detector, in MiB of RSS per minute (1 MiB = 1 048 576 bytes, the unit of
/// every RSS figure Warden prints). A slope at or above a threshold grades the trend at that `LeakSeverity`.
public struct LeakThresholds: Sendable, Equatable {
    /// Slope of `LeakSeverity.low`, MiB/min.
    public var low: Double
    /// Slope of `LeakSeverity.medium`, MiB/min.
    public var medium: Double
    /// Slope of `LeakSeverity.high`, MiB/min.
    public var high: Double
    /// Slope of `LeakSeverity.critical`, MiB/min: the only grade that can lead to a `memory-growth` restart.
    public var critical: Double

    public init(low: Double, medium: Double, high: Double, critical: Double) {
        self.low = low
        self.medium = medium
        self.high = high
        self.critical = critical
    }

    /// 3 / 6 / 12 / 15 MiB/min.
    public static let defaults = LeakThresholds(low: 3, medium: 6, high: 12, critical: 15)

    /// The threshold of `severity` (`.none` has threshold 0).
    public func threshold(of severity: LeakSeverity) -> Double {
        switch severity {
        case .none: return 0
        case .low: return low
        case .medium: return medium
        case .high: return high
        case .critical: return critical
        }
    }
}

/// What the leak detector of one process needs to know: the trend window, how long a condition must hold
/// before Warden acts, the growth thresholds and the optional absolute limits.
public struct LeakDetectorConfiguration: Sendable, Equatable {
    /// Span of samples the growth trend is estimated over. Default 5 min.
    public var window: Duration
    /// How long critical growth, or an exceeded limit, must hold before the verdict demands action.
    /// Default 1 min.
    public var sustain: Duration
    /// Growth thresholds (MiB/min).
    public var thresholds: LeakThresholds
    /// RSS limit in bytes; `nil` means none.
    public var rssMaxBytes: UInt64?
    /// Open file descriptor limit; `nil` means none.
    public var fdsMax: Int?
    /// Thread limit; `nil` means none.
    public var threadsMax: Int?

    public init(
        window: Duration = .seconds(300),
        sustain: Duration = .seconds(60),
        thresholds: LeakThresholds = .defaults,
        rssMaxBytes: UInt64? = nil,
        fdsMax: Int? = nil,
        threadsMax: Int? = nil
    ) {
        self.window = window
        self.sustain = sustain
        self.thresholds = thresholds
        self.rssMaxBytes = rssMaxBytes
        self.fdsMax = fdsMax
        self.threadsMax = threadsMax
    }
}

/// One measurement of a process (or process tree) taken by the sampler.
public struct ResourceSample: Sendable, Equatable {
    /// Monotonic time of the measurement, as an offset from an arbitrary epoch (the same for every sample
    /// given to one detector).
    public var time: Duration
    /// Resident set size, bytes.
    public var rssBytes: UInt64
    /// Open file descriptors.
    public var fds: Int
    /// Threads.
    public var threads: Int
    /// Memory the host can still give, bytes: `MemAvailable`, or less under a cgroup's `memory.max`;
    /// `nil` when unknown.
    public var headroomBytes: UInt64?

    public init(time: Duration, rssBytes: UInt64, fds: Int, threads: Int, headroomBytes: UInt64? = nil) {
        self.time = time
        self.rssBytes = rssBytes
        self.fds = fds
        self.threads = threads
        self.headroomBytes = headroomBytes
    }
}

/// When a growing process reaches a memory limit at its current rate.
public struct MemoryForecast: Sendable, Equatable {
    /// Which limit comes first.
    public enum Limit: String, Sendable, Equatable {
        /// The program's `rss_max`.
        case rssMax = "rss_max"
        /// What the host (or the cgroup Warden runs in) can still give.
        case hostMemory = "host memory"
    }

    public var limit: Limit
    /// Seconds until the tree's RSS reaches the limit at `rateMBPerMinute` (0 when it already has).
    public var seconds: Double
    /// The growth the forecast extrapolates: the window's robust RSS slope, MiB per minute (> 0).
    public var rateMBPerMinute: Double

    public init(limit: Limit, seconds: Double, rateMBPerMinute: Double) {
        self.limit = limit; self.seconds = seconds; self.rateMBPerMinute = rateMBPerMinute
    }

    /// "rss_max in ~4 min at +31.2 MiB/min", "host memory in ~40 s at +31.2 MiB/min".
    public var summary: String {
        let time = DurationText.approximate(seconds: seconds)
        return "\(limit.rawValue) in \(time) at +\(LeakMessage.oneDecimal(rateMBPerMinute)) MiB/min"
    }
}

/// The detector's judgement after one sample.
public struct LeakVerdict: Sendable, Equatable {
    /// `true` until the window holds enough samples for a trend, even a provisional one (see `LeakDetector`); `severity` is then
    /// `.none` and the growth rates are `nil`. The absolute limits are enforced while warming up too.
    public var warmingUp: Bool
    /// Grade of the RSS growth trend (with hysteresis; see `LeakDetector`).
    public var severity: LeakSeverity
    /// `severity` and the rates are a first look: the samples cover at least a third of the window but
    /// less than the two thirds a final grade needs. A provisional verdict never has a `memory-growth`
    /// action, never starts the sustain clock and leaves no hysteresis behind for the final grading.
    public var provisional = false
    /// Robust RSS slope over the window, MiB per minute; `nil` while warming up.
    public var rssGrowthMBPerMinute: Double?
    /// Robust slope of the open file descriptor count over the window, per minute; `nil` while warming up.
    public var fdGrowthPerMinute: Double?
    /// Robust slope of the thread count over the window, per minute; `nil` while warming up.
    public var threadGrowthPerMinute: Double?
    /// Samples inside the window.
    public var samples: Int
    /// Span of time the window actually covers, seconds (at most the configured window).
    public var windowSeconds: Double
    /// Non-`nil` exactly when the supervisor must act now: `.memoryGrowth`, `.rssMax`, `.fdsMax` or
    /// `.threadsMax`.
    public var action: TransitionReason?
    /// While a final grade is `low` or above and the rate positive: when the growth reaches `rss_max` or the
    /// host's memory at the window's rate, if either is known (shown by status and the API; it acts only
    /// for current, steady, critical growth, `beforeSustain`).
    public var forecast: MemoryForecast?
    /// `action` is `.memoryGrowth` before `sustain` has passed, because `forecast` says a limit comes first.
    public var beforeSustain = false
    /// Growth is critical and current (criteria 2–5 of `LeakDetector`) and not bending towards a plateau:
    /// what makes the process a candidate for a restart under host memory pressure.
    public var growing = false

    public init(
        warmingUp: Bool, severity: LeakSeverity, rssGrowthMBPerMinute: Double?, fdGrowthPerMinute: Double?,
        threadGrowthPerMinute: Double?, samples: Int, windowSeconds: Double, action: TransitionReason?
    ) {
        self.warmingUp = warmingUp
        self.severity = severity
        self.rssGrowthMBPerMinute = rssGrowthMBPerMinute
        self.fdGrowthPerMinute = fdGrowthPerMinute
        self.threadGrowthPerMinute = threadGrowthPerMinute
        self.samples = samples
        self.windowSeconds = windowSeconds
        self.action = action
    }
}
