public import WardenPluginProtocol

/// The latest sample of one pool as the tracker keeps it, with the usage it computed.
public struct PoolSnapshot: Sendable, Equatable {
    /// Collector name (`[collectors.NAME]`).
    public var collector: String
    /// The sample, its `pool` identity (and long-running clients) passed through `CredentialRedaction`.
    public var sample: PoolSample
    /// Epoch seconds at which the host recorded the sample.
    public var recordedAt: Double

    public init(collector: String, sample: PoolSample, recordedAt: Double) {
        self.collector = collector; self.sample = sample; self.recordedAt = recordedAt
    }

    /// Fraction of the pool's slots occupied, `(in_use + idle) / max`, not clamped (superuser
    /// connections in reserved slots can push it above 1); `nil` when `max <= 0` (unknown limit).
    ///
    /// Idle connections count: a connection held idle by a client still occupies a server slot, and it is
    /// slots that run out. `waiting` is not counted: those clients hold no slot yet.
    public var usage: Double? { PoolSnapshot.usage(of: sample) }

    /// `(in_use + idle) / max` of `sample`, `nil` when `max <= 0`.
    public static func usage(of sample: PoolSample) -> Double? {
        guard sample.max > 0 else { return nil }
        return Double(max(0, sample.inUse) + max(0, sample.idle)) / Double(sample.max)
    }
}
