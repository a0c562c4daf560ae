public import WardenCore
public import WardenPluginProtocol

/// One collector plugin: the `[collectors.NAME]` table, with its `[collectors.NAME.thresholds]`.
///
/// Equatable so that a reload can tell changed collectors (restart the plugin, new thresholds) from
/// unchanged ones. `config` may hold credentials: never print it (diagnostics name its keys only).
public struct CollectorConfiguration: Sendable, Equatable {
    /// Collector name, the key of `[collectors.NAME]` (`[A-Za-z0-9_.-]+`), sent to the plugin in `hello`.
    public var name: String
    /// The plugin executable (`plugin`, required): a bare name (`warden-collector-postgres`), looked up
    /// next to the warden binary, then on `PATH`, when the plugin is started; or a path, made absolute
    /// here against the config file's directory.
    public var plugin: String
    /// Time between two `collect` requests (`interval`), greater than zero. Default 10 s.
    public var interval: Duration
    /// How long Warden waits for the answer to a `collect` (`timeout`), greater than zero and less than
    /// `interval`. Default half the interval.
    public var timeout: Duration
    /// The `config` table, any shape, passed to the plugin in `hello` (`.object([:])` when absent).
    public var config: JSONValue
    /// Alert thresholds (`[collectors.NAME.thresholds]`), defaults applied.
    public var thresholds: PoolThresholds

    /// Default `interval`: 10 s.
    public static let defaultInterval: Duration = .seconds(10)

    public init(
        name: String, plugin: String, interval: Duration = CollectorConfiguration.defaultInterval,
        timeout: Duration? = nil, config: JSONValue = .object([:]), thresholds: PoolThresholds = PoolThresholds()
    ) {
        self.name = name
        self.plugin = plugin
        self.interval = interval
        self.timeout = timeout ?? interval / 2
        self.config = config
        self.thresholds = thresholds
    }

    /// `interval` in seconds (the `hello` message's `interval_seconds`).
    public var intervalSeconds: Double { Self.seconds(interval) }
    /// `timeout` in seconds (the `hello` message's `timeout_seconds`).
    public var timeoutSeconds: Double { Self.seconds(timeout) }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

extension CollectorConfiguration {
    /// The `hello` message that starts a conversation with this collector's plugin.
    public var hello: HostMessage.Hello {
        HostMessage.Hello(
            collector: name, intervalSeconds: intervalSeconds, timeoutSeconds: timeoutSeconds,
            longRunningSeconds: thresholds.longRunningSeconds, config: config)
    }
}
