public import WardenCore

/// Settings of Warden itself: the `[supervisor]` table.
public struct SupervisorSettings: Sendable, Equatable {
    /// Where the control socket, captured logs and `events.jsonl` live (`state_dir`). Absolute: a relative
    /// `state_dir` is resolved against the config file's directory. Default `".warden"`.
    public var stateDirectory: String
    /// Period of /proc sampling (`sample_interval`), greater than zero. Default 1 s.
    public var sampleInterval: Duration
    /// How long a graceful shutdown of all programs may take before Warden kills what is left
    /// (`shutdown_timeout`). Default 30 s.
    public var shutdownTimeout: Duration
    /// Size at which a captured stdout/stderr log file is rotated (`log_max_bytes`), greater than zero.
    /// Default 10 MB (10,000,000 bytes).
    public var logMaxBytes: UInt64
    /// Rotated log files kept per stream (`log_backups`), 0...1000; zero keeps none. Default 3.
    public var logBackups: Int
    /// Upper bound on the processes the config starts, instances and collectors together
    /// (`max_processes`), 1...1,000,000. Default 10,000.
    public var maxProcesses: Int = 10_000
    /// Control API connections open at once, per listener (`api_max_connections`), 1...100,000; more are
    /// closed when accepted. Default 128.
    public var apiMaxConnections: Int = 128
    /// How long a control connection may be idle, or one request take to arrive, before it is closed
    /// (`api_idle_timeout`), greater than zero. Default 30 s.
    public var apiIdleTimeout: Duration = .seconds(30)
    /// The response to host memory pressure (`memory_pressure`, `memory_pressure_full`,
    /// `memory_pressure_sustain`, `memory_pressure_cooldown`, `memory_pressure_file`). Default: on, full
    /// avg10 >= 20 % for 10 s, a 2 min cool-down, `/proc/pressure/memory`.
    public var memoryPressure = MemoryPressurePolicy()

    /// Default `state_dir`, relative to the config file's directory.
    public static let defaultStateDirectory = ".warden"

    public init(
        stateDirectory: String,
        sampleInterval: Duration = .seconds(1),
        shutdownTimeout: Duration = .seconds(30),
        logMaxBytes: UInt64 = 10_000_000,
        logBackups: Int = 3
    ) {
        self.stateDirectory = stateDirectory
        self.sampleInterval = sampleInterval
        self.shutdownTimeout = shutdownTimeout
        self.logMaxBytes = logMaxBytes
        self.logBackups = logBackups
    }
}
