/// The intermediate results of the growth criteria for the last verdict (internal, for tests).
struct LeakDiagnostics: Sendable, Equatable {
    var rise = 0.0
    var noise = 0.0
    var recentRate: Double?
    /// Recent slope over the slope of the third before it (nil when that was not rising).
    var decay: Double?
    var growing = false
}

/// Internal constants of the detector (see `LeakDetector` for their meaning). A type rather than literals
/// so that the tests can name them.
struct LeakTuning: Sendable, Equatable {
    /// Buckets per window.
    var buckets = 60
    /// Half width of the floor's moving minimum, as a fraction of the window.
    var floorHalfWidth = 0.125
    /// Fraction of the window the samples must cover before a final verdict (one that may act).
    var minimumSpan = 2.0 / 3
    /// Fraction of the window the samples must cover before a provisional grade (never acts).
    var provisionalSpan = 1.0 / 3
    /// Samples in the window before a verdict.
    var minimumSamples = 8
    /// Minimum separation of a Theil–Sen pair, as a fraction of the span fitted.
    var pairSeparation = 0.5
    /// Part of the covered span whose slope must still be near critical.
    var recentFraction = 1.0 / 3
    /// The recent slope may be this much below critical.
    var recentTolerance = 0.25
    /// The recent slope must be at least this fraction of the whole-window slope (not decelerating).
    var deceleration = 0.6
    /// The newer half's slope must be at least this fraction of the older half's (not saturating), and at
    /// most its inverse times the older's for growth to count as `steady` rather than `accelerating`.
    var saturation = 0.75
    /// ... and of the slope of the half-window that ended a quarter window ago (which, unlike the older half,
    /// leaves out a transient at the window's start).
    var overlapSaturation = 0.85
    /// The recent slope must be at least this fraction of the slope of the third before it (no late bend).
    var bend = 0.6
    /// Segments the covered span is cut into.
    var segments = 6
    /// How many of the last segment-to-segment steps must all rise.
    var risingSegments = 3
    /// Each of those steps must rise by this fraction of critical growth over one segment.
    var segmentRise = 0.25
    /// Minimum rise over the span, in robust standard deviations of the floor about the fitted line.
    var significance = 3.0
    /// Relative margin below a level's threshold before the severity goes down.
    var hysteresis = 0.1
}

/// Work buffers of `LeakDetector`'s trend analysis (floor points and pairwise slopes). They hold no state
/// between observations; one instance can serve any number of detectors used one at a time.
public struct LeakScratch: Sendable {
    var xs: [Double] = []
    var rssFloor: [Double] = []
    var fdsFloor: [Double] = []
    var threadsFloor: [Double] = []
    var scratch: [Double] = []

    public init() {}
}
