/// Grade of a growth trend, by the slope of RSS (MiB/min) against the program's thresholds
/// (`low`, `medium`, `high`, `critical` in `[programs.X.leak]`).
///
/// Ordered: `none < low < medium < high < critical`. "Warming up" (not enough samples for a verdict) is
/// not a severity; it is `LeakVerdict.warmingUp`.
public enum LeakSeverity: String, Codable, Sendable, CaseIterable, Comparable {
    case none, low, medium, high, critical

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: LeakSeverity, b: LeakSeverity) -> Bool { a.rank < b.rank }
}
