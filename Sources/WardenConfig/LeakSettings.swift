public import WardenCore

/// Leak detection thresholds and limits of one program: the `[programs.NAME.leak]` table.
///
/// Growth thresholds are slopes of RSS in MiB/min over `window`, graded into `LeakSeverity`; they satisfy
/// `low <= medium <= high <= critical`. The absolute limits (`rssMax`, `fdsMax`, `threadsMax`) are off
/// when `nil`. A condition must hold for `sustain` before Warden acts.
public struct LeakSettings: Sendable, Equatable {
    /// What Warden does when growth is critical, or a limit is exceeded, for `sustain` (`on_critical`).
    public enum CriticalAction: String, Codable, Sendable, CaseIterable {
        /// Restart the process, with reason `memory-growth`, `rss-max`, `fds-max` or `threads-max`.
        case restart
        /// Only record an event and show the verdict; never touch the process.
        case alert
    }

    /// What Warden does when one of the program's workers has a connection-leak verdict (`connection_leak`).
    public enum ConnectionLeakAction: String, Codable, Sendable, CaseIterable {
        /// Restart the worker gracefully, with reason `connection-leak`, at most once per leak episode.
        case restart
        /// Only raise the `connection-leak` alert and record an event.
        case alert
    }

    /// Span of samples the growth slope is fitted over (`window`), greater than zero. Default 5 min.
    public var window: Duration
    /// How long a condition must hold before Warden acts (`sustain`). Default 1 min.
    public var sustain: Duration
    /// Growth threshold of `LeakSeverity.low`, MiB/min, >= 0. Default 3.
    public var low: Double
    /// Growth threshold of `LeakSeverity.medium`, MiB/min. Default 6.
    public var medium: Double
    /// Growth threshold of `LeakSeverity.high`, MiB/min. Default 12.
    public var high: Double
    /// Growth threshold of `LeakSeverity.critical`, MiB/min. Default 15.
    public var critical: Double
    /// Tree RSS limit (`rss_max`); `nil` means none. Default none.
    public var rssMax: ByteSize?
    /// Open file descriptor limit of the main process (`fds_max`), > 0; `nil` means none.
    public var fdsMax: Int?
    /// Thread limit of the main process (`threads_max`), > 0; `nil` means none.
    public var threadsMax: Int?
    /// Action on a sustained critical condition (`on_critical`). Default `.restart`.
    public var onCritical: CriticalAction
    /// Signal sent to ask the process to release memory (drop caches, close idle connections) when a
    /// leak is detected (`cleanup_signal`); `nil` means none.
    public var cleanupSignal: SignalName?
    /// Action on a connection-leak verdict of a collector (`connection_leak`); the verdict needs the
    /// leak to hold for `sustain`. Default `.alert`.
    public var connectionLeak: ConnectionLeakAction

    public init(
        window: Duration = .seconds(300),
        sustain: Duration = .seconds(60),
        low: Double = 3,
        medium: Double = 6,
        high: Double = 12,
        critical: Double = 15,
        rssMax: ByteSize? = nil,
        fdsMax: Int? = nil,
        threadsMax: Int? = nil,
        onCritical: CriticalAction = .restart,
        cleanupSignal: SignalName? = nil,
        connectionLeak: ConnectionLeakAction = .alert
    ) {
        self.window = window
        self.sustain = sustain
        self.low = low
        self.medium = medium
        self.high = high
        self.critical = critical
        self.rssMax = rssMax
        self.fdsMax = fdsMax
        self.threadsMax = threadsMax
        self.onCritical = onCritical
        self.cleanupSignal = cleanupSignal
        self.connectionLeak = connectionLeak
    }
}
