/// The resolutions the history keeps, finest first (Netdata's tiers, RRD's archives): every sample for the
/// last half hour, then min/avg/max rollups per 10 s for 6 h, per minute for 48 h and per 10 min for the
/// whole retention. Each tier is written as its buckets close; a query reads one tier (`HistoryPlan`).
public enum HistoryTier: Int, Sendable, CaseIterable, Comparable {
    case raw = 0
    case tenSeconds = 1
    case minute = 2
    case tenMinutes = 3

    /// Width of one bucket, seconds; 0 for `raw` (one row per sample).
    public var resolution: Double {
        switch self {
        case .raw: return 0
        case .tenSeconds: return 10
        case .minute: return 60
        case .tenMinutes: return 600
        }
    }

    /// How long the tier keeps rows, seconds, for a whole-history `retention` (the last tier keeps them
    /// that long; the finer ones at most their own span).
    public func retention(total retention: Double) -> Double {
        switch self {
        case .raw: return min(retention, 1_800)
        case .tenSeconds: return min(retention, 6 * 3_600)
        case .minute: return min(retention, 48 * 3_600)
        case .tenMinutes: return retention
        }
    }

    public static func < (a: HistoryTier, b: HistoryTier) -> Bool { a.rawValue < b.rawValue }
}

/// Which tier answers a query for a span of time, and into what buckets its rows are grouped.
public struct HistoryPlan: Sendable, Equatable {
    public var tier: HistoryTier
    /// Width of the returned points, seconds: the tier's resolution, or wider so that at most
    /// `maximumPoints` come back; 0 for raw samples returned as they are.
    public var bucket: Double

    /// Fewest points a query should return when a tier can give them.
    public static let minimumPoints = 300.0
    /// Most points a query returns.
    public static let maximumPoints = 2_000.0

    public init(tier: HistoryTier, bucket: Double) { self.tier = tier; self.bucket = bucket }

    /// The coarsest tier that still reaches back `age` seconds (the start of the range, from now) and gives
    /// at least 300 points over `span` seconds; when none gives that many, the finest one reaching back.
    /// Raw samples are counted at `sampleInterval`. Rows are grouped into buckets of `span / 2000` when the
    /// tier would give more.
    public static func choose(span: Double, age: Double, sampleInterval: Double, retention: Double) -> HistoryPlan {
        let span = max(span, 1)
        let covering = HistoryTier.allCases.filter { $0.retention(total: retention) >= age || $0 == .tenMinutes }
        func points(_ tier: HistoryTier) -> Double { span / max(tier == .raw ? sampleInterval : tier.resolution, 0.001) }
        let tier = covering.reversed().first { points($0) >= minimumPoints } ?? covering.first ?? .tenMinutes
        let width = tier == .raw ? sampleInterval : tier.resolution
        let bucket = points(tier) > maximumPoints ? (span / maximumPoints).rounded(.up) : (tier == .raw ? 0 : width)
        return HistoryPlan(tier: tier, bucket: max(bucket, tier.resolution))
    }

    /// The plan one tier finer (nil from raw), for when this one has too few points yet: a Warden that has
    /// run 20 minutes has fewer 10-second rollups than raw samples.
    public func finer(span: Double, sampleInterval: Double) -> HistoryPlan? {
        guard let tier = HistoryTier(rawValue: tier.rawValue - 1) else { return nil }
        let width = tier == .raw ? sampleInterval : tier.resolution
        let points = max(span, 1) / max(width, 0.001)
        let bucket = points > Self.maximumPoints ? (max(span, 1) / Self.maximumPoints).rounded(.up) : (tier == .raw ? 0 : width)
        return HistoryPlan(tier: tier, bucket: max(bucket, tier.resolution))
    }
}
