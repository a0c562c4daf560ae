/// Detects memory, file descriptor and thread growth of one process from its resource samples.
///
/// Pure and deterministic: no clock is read (time comes from `ResourceSample.time`), nothing is logged.
/// One detector per process; `reset()` when the process is replaced. It grades the robust slope of the RSS
/// floor over `window` (MiB/min, with hysteresis; provisionally from a third of the window, finally from two
/// thirds — only a final grade ever acts) and demands action (`memory-growth`) only when growth is
/// critical, still critical in the recent third, not slowing, rising in every recent segment and above
/// noise, for `sustain`, and then only while its rate is not decaying as a warm-up's does — or before
/// `sustain` when steady growth would reach `rss_max` or the host's memory first (`MemoryForecast`); the
/// absolute limits (`rss_max`, `fds_max`, `threads_max`) act after `sustain` above them. `observe` costs O(1) amortised plus ≈ 25 µs of trend analysis (release build), memory O(60
/// buckets). The reasoning, the statistics and why each non-leak shape is rejected: `docs/leak-detection.md`.
public struct LeakDetector: Sendable {
    /// The configuration. Changing `window` clears the state (the buckets depend on it); changing the
    /// thresholds, `sustain` or the limits keeps the collected samples.
    public var configuration: LeakDetectorConfiguration {
        didSet {
            if configuration.window != oldValue.window {
                geometry = Geometry(window: configuration.window, tuning: tuning)
                reset()
            }
        }
    }

    let tuning: LeakTuning
    private var geometry: Geometry

    // State (cleared by reset()).
    private var ring: BucketRing
    private var firstTime: Int64?
    private var lastTime: Int64?
    private var severity: LeakSeverity = .none
    /// The grade of the provisional verdicts (hysteresis among them only; the final grading starts afresh).
    private var provisionalSeverity: LeakSeverity = .none
    private var growthSince: Int64?
    private var growthShape = GrowthShape.saturating
    private var rssOverSince: Int64?
    private var fdsOverSince: Int64?
    private var threadsOverSince: Int64?

    /// Why the last verdict did (not) count towards `memory-growth`; for tests and diagnosis.
    private(set) var diagnostics = LeakDiagnostics()

    // Scratch buffers, reused between observations (not state). A caller running many detectors one at a
    // time lends one shared set (`observe(_:sharing:)`), so their capacity — O(window²) for the pairwise
    // slopes — is paid once, not per process.
    private var buffers = LeakScratch()

    public init(configuration: LeakDetectorConfiguration) {
        self.init(configuration: configuration, tuning: LeakTuning())
    }

    init(configuration: LeakDetectorConfiguration, tuning: LeakTuning) {
        self.configuration = configuration
        self.tuning = tuning
        self.geometry = Geometry(window: configuration.window, tuning: tuning)
        self.ring = BucketRing(capacity: geometry.ringCapacity)
    }

    /// Forgets every sample, the severity and every sustain clock (call it for a new PID).
    public mutating func reset() {
        ring = BucketRing(capacity: geometry.ringCapacity)
        firstTime = nil
        lastTime = nil
        severity = .none
        provisionalSeverity = .none
        growthSince = nil
        growthShape = .saturating
        rssOverSince = nil
        fdsOverSince = nil
        threadsOverSince = nil
    }

    /// Adds one sample and returns the verdict. Samples must come in time order (a sample older than the
    /// previous one is treated as taken at the previous one's time). O(1) amortised bookkeeping plus the
    /// O(B·F + P) trend analysis described on the type.
    public mutating func observe(_ sample: ResourceSample) -> LeakVerdict {
        var now = sample.time.nanoseconds
        if let last = lastTime, now < last { now = last }
        if firstTime == nil { firstTime = now }
        lastTime = now
        let rssMiB = Double(sample.rssBytes) / mebibyte
        ring.add(index: geometry.bucketIndex(of: now), time: now, rss: rssMiB,
                 fds: Double(sample.fds), threads: Double(sample.threads),
                 keepingFrom: geometry.bucketIndex(of: now) - Int64(geometry.buckets - 1) - Int64(geometry.floorHalfWidth))

        let sustain = configuration.sustain.nanoseconds
        let limitAction = checkLimits(sample, now: now, sustain: sustain)

        var verdict = analyse(now: now)
        if verdict.warmingUp || verdict.provisional {
            // Nothing before the final verdict counts towards an action: the final grading starts from `none`
            // with no sustain clock, exactly as it did before provisional grades existed.
            severity = .none
            growthSince = nil
        }
        if !verdict.warmingUp, !verdict.provisional, verdict.severity > .none, let rate = verdict.rssGrowthMBPerMinute {
            // Shown while growth is graded; it acts (below) only for current, steady, critical growth.
            verdict.forecast = forecast(sample, rateMBPerMinute: rate)
        }
        var steady = false
        if case .steady = growthShape { steady = true }
        if case .saturating = growthShape {} else { verdict.growing = growthSince != nil }
        if let limitAction {
            verdict.action = limitAction
        } else if let since = growthSince, now - since >= sustain {
            // Sustained critical growth acts unless it is saturating now; growth that began inside the window
            // waits, until it has run a whole window, for the bend a warm-up would show (docs/leak-detection.md).
            switch growthShape {
            case .steady: verdict.action = .memoryGrowth
            case .accelerating(let age) where age >= configuration.window.seconds: verdict.action = .memoryGrowth
            case .accelerating, .saturating: break
            }
        } else if let since = growthSince, let forecast = verdict.forecast, steady,
                  forecast.seconds <= Double(sustain - (now - since)) / 1e9 {
            // The limit comes before the sustain would end: waiting would hand the process to rss_max's hard
            // stop or the kernel's OOM killer. Only steady growth acts early: growth that is bending or began
            // inside the window may be a warm-up, and the straight line overstates where a warm-up goes.
            verdict.action = .memoryGrowth
            verdict.beforeSustain = true
        }
        return verdict
    }

    /// When critical growth at `rate` takes the tree to `rss_max` or to the end of the host's memory,
    /// whichever comes first; `nil` when neither is known or the rate is not positive.
    private func forecast(_ sample: ResourceSample, rateMBPerMinute rate: Double) -> MemoryForecast? {
        guard rate > 0 else { return nil }
        let bytesPerSecond = rate * mebibyte / 60
        var best: MemoryForecast?
        func consider(_ limit: MemoryForecast.Limit, room: Double) {
            let seconds = max(0, room) / bytesPerSecond
            if seconds < best?.seconds ?? .infinity { best = MemoryForecast(limit: limit, seconds: seconds, rateMBPerMinute: rate) }
        }
        if let rssMax = configuration.rssMaxBytes { consider(.rssMax, room: Double(rssMax) - Double(sample.rssBytes)) }
        if let headroom = sample.headroomBytes { consider(.hostMemory, room: Double(headroom)) }
        return best
    }

    /// `observe(_:)` using `scratch`'s buffers instead of the detector's own: for a supervisor that runs
    /// hundreds of detectors one after another, one shared `LeakScratch` replaces one per detector.
    public mutating func observe(_ sample: ResourceSample, sharing scratch: inout LeakScratch) -> LeakVerdict {
        swap(&buffers, &scratch)
        defer { swap(&buffers, &scratch) }
        return observe(sample)
    }

    // MARK: - Limits

    private mutating func checkLimits(_ sample: ResourceSample, now: Int64, sustain: Int64) -> TransitionReason? {
        func track(_ over: Bool, _ since: inout Int64?) -> Bool {
            guard over else {
                since = nil
                return false
            }
            if since == nil { since = now }
            return now - since! >= sustain
        }
        let rss = track(configuration.rssMaxBytes.map { sample.rssBytes > $0 } ?? false, &rssOverSince)
        let fds = track(configuration.fdsMax.map { sample.fds > $0 } ?? false, &fdsOverSince)
        let threads = track(configuration.threadsMax.map { sample.threads > $0 } ?? false, &threadsOverSince)
        if rss { return .rssMax }
        if fds { return .fdsMax }
        if threads { return .threadsMax }
        return nil
    }

    // MARK: - Trend

    private mutating func analyse(now: Int64) -> LeakVerdict {
        let newest = geometry.bucketIndex(of: now)
        let lowest = newest - Int64(geometry.buckets - 1)
        // Ring positions of the buckets inside the window (the ring also keeps floorHalfWidth older ones).
        var first = ring.count
        var samples = 0
        for position in 0..<ring.count where ring[position].index >= lowest {
            if first == ring.count { first = position }
            samples += ring[position].count
        }
        let windowStart = first < ring.count ? ring[first].firstTime : now
        let covered = Double(now - windowStart) / 1e9
        let windowSeconds = configuration.window.seconds
        var verdict = LeakVerdict(
            warmingUp: true, severity: .none, rssGrowthMBPerMinute: nil, fdGrowthPerMinute: nil,
            threadGrowthPerMinute: nil, samples: samples, windowSeconds: covered, action: nil)
        guard covered >= tuning.provisionalSpan * windowSeconds, samples >= tuning.minimumSamples, covered > 0 else {
            provisionalSeverity = .none
            return verdict
        }
        let provisional = covered < tuning.minimumSpan * windowSeconds

        // Floor points: x = bucket centre (clipped to the covered span), seconds relative to now.
        buffers.xs.removeAll(keepingCapacity: true)
        buffers.rssFloor.removeAll(keepingCapacity: true)
        buffers.fdsFloor.removeAll(keepingCapacity: true)
        buffers.threadsFloor.removeAll(keepingCapacity: true)
        let halfWidth = Int64(geometry.floorHalfWidth)
        let width = Double(geometry.bucketNanoseconds)
        // Right after the first sample the moving minimum has no left context: on a rising series it
        // would be flat there and bias the slope down. Those buckets are left out of the fit.
        let firstUsable = geometry.bucketIndex(of: firstTime ?? now) + halfWidth
        for position in first..<ring.count where ring[position].index >= firstUsable || position == ring.count - 1 {
            let bucket = ring[position]
            let centre = Double(bucket.index) * width + width / 2
            let clipped = min(max(centre, Double(windowStart)), Double(now))
            buffers.xs.append((clipped - Double(now)) / 1e9)
            var rss = bucket.rss, fds = bucket.fds, threads = bucket.threads
            var left = position - 1
            while left >= 0, ring[left].index >= bucket.index - halfWidth {
                let other = ring[left]
                rss = min(rss, other.rss); fds = min(fds, other.fds); threads = min(threads, other.threads)
                left -= 1
            }
            var right = position + 1
            while right < ring.count, ring[right].index <= bucket.index + halfWidth {
                let other = ring[right]
                rss = min(rss, other.rss); fds = min(fds, other.fds); threads = min(threads, other.threads)
                right += 1
            }
            buffers.rssFloor.append(rss)
            buffers.fdsFloor.append(fds)
            buffers.threadsFloor.append(threads)
        }

        let m = buffers.xs.count
        let fitted = -buffers.xs[0]  // span of the fitted floor points (seconds)
        guard m >= 2, fitted > 0 else { return verdict }
        let all = 0..<m
        let separation = tuning.pairSeparation * fitted
        guard let slope = RobustTrend.longBaselineSlope(
            xs: buffers.xs, ys: buffers.rssFloor, range: all, minimumSeparation: separation, scratch: &buffers.scratch)
        else { return verdict }
        let fdSlope = RobustTrend.longBaselineSlope(
            xs: buffers.xs, ys: buffers.fdsFloor, range: all, minimumSeparation: separation, scratch: &buffers.scratch) ?? 0
        let threadSlope = RobustTrend.longBaselineSlope(
            xs: buffers.xs, ys: buffers.threadsFloor, range: all, minimumSeparation: separation, scratch: &buffers.scratch) ?? 0
        let rate = slope * 60
        verdict.warmingUp = false
        verdict.rssGrowthMBPerMinute = rate
        verdict.fdGrowthPerMinute = fdSlope * 60
        verdict.threadGrowthPerMinute = threadSlope * 60
        let recent = recentSlope(covered: fitted, count: m)
        if provisional {
            provisionalSeverity = Self.grade(rate, recent: recent.map { $0 * 60 }, previous: provisionalSeverity,
                                             thresholds: configuration.thresholds, margin: tuning.hysteresis)
            verdict.severity = provisionalSeverity
            verdict.provisional = true
            return verdict
        }
        provisionalSeverity = .none
        severity = Self.grade(rate, recent: recent.map { $0 * 60 }, previous: severity,
                              thresholds: configuration.thresholds, margin: tuning.hysteresis)
        verdict.severity = severity

        if severity == .critical, let recent, growthIsCurrent(covered: fitted, count: m, slope: slope, recent: recent) {
            if growthSince == nil { growthSince = now }
            growthShape = shape(covered: fitted, count: m, recent: recent)
        } else {
            growthSince = nil
            growthShape = .saturating
        }
        return verdict
    }

    /// Criterion (6): the shape of current critical growth. A leak's rate holds; a warm-up's decays towards
    /// its plateau. Growth is `saturating` when the newer half of the fitted span grows clearly slower than
    /// the older half, or the last third clearly slower than the third before it (a late bend, as at the
    /// end of an S-curve). It is `accelerating` when the newer half grows clearly faster than the older:
    /// the growth began inside the window and is too young to tell from a warm-up that will still bend.
    private mutating func shape(covered: Double, count m: Int, recent: Double) -> GrowthShape {
        let half = covered / 2, third = tuning.recentFraction * covered
        guard let older = floorSlope(over: half, endingAgo: half, count: m),
              let newer = floorSlope(over: half, endingAgo: 0, count: m),
              let before = floorSlope(over: half, endingAgo: half / 2, count: m),
              let middle = floorSlope(over: third, endingAgo: third, count: m)
        else { return .saturating }
        diagnostics.decay = older > 0 ? newer / older : nil
        let decaying = newer < tuning.saturation * older && newer < tuning.overlapSaturation * before
        if decaying || recent < tuning.bend * middle { return .saturating }
        guard older < tuning.saturation * newer else { return .steady }
        // How long the growth has run: the rise of the floor over the span at the newer half's rate, plus the
        // floor's lag (its moving minimum trails a rising series by its half width).
        let rise = buffers.rssFloor[m - 1] - buffers.rssFloor[0]
        let lag = Double(geometry.floorHalfWidth) * Double(geometry.bucketNanoseconds) / 1e9
        return .accelerating(age: min(rise / newer, covered) + lag)
    }

    /// The robust slope (MiB/s) of the floor over the most recent `recentFraction` of the fitted span, or
    /// nil when it has too few points.
    private mutating func recentSlope(covered: Double, count m: Int) -> Double? {
        floorSlope(over: tuning.recentFraction * covered, endingAgo: 0, count: m)
    }

    /// The robust slope (MiB/s) of the floor points with `-(ago + span) <= x < -ago` (x in seconds before
    /// now; the newest point is included when `ago` is 0), or nil when they are too few.
    private mutating func floorSlope(over span: Double, endingAgo ago: Double, count m: Int) -> Double? {
        var end = m
        if ago > 0 { while end > 0, buffers.xs[end - 1] >= -ago { end -= 1 } }
        var start = end
        while start > 0, buffers.xs[start - 1] >= -(ago + span) { start -= 1 }
        return RobustTrend.longBaselineSlope(
            xs: buffers.xs, ys: buffers.rssFloor, range: start..<end,
            minimumSeparation: tuning.pairSeparation * span, scratch: &buffers.scratch)
    }

    /// Criteria (2)–(5) of the type's documentation, for the `m` floor points in the scratch arrays, given
    /// the window's `slope` and the `recent` one (MiB/s).
    private mutating func growthIsCurrent(covered: Double, count m: Int, slope: Double, recent: Double) -> Bool {
        let critical = configuration.thresholds.critical / 60  // MiB per second
        diagnostics = LeakDiagnostics()
        // (4) More than noise.
        let scale = RobustTrend.residualScale(xs: buffers.xs, ys: buffers.rssFloor, range: 0..<m, slope: slope, scratch: &buffers.scratch)
        diagnostics.rise = slope * covered
        diagnostics.noise = scale
        guard slope * covered >= tuning.significance * scale else { return false }
        // (2) Still growing now: slope over the most recent part.
        diagnostics.recentRate = recent * 60
        guard recent >= critical * (1 - tuning.recentTolerance), recent >= tuning.deceleration * slope else {
            return false
        }
        // (3) Everywhere: the last `risingSegments` steps between segment medians all rise.
        let segments = tuning.segments
        let segmentLength = covered / Double(segments)
        let minimumRise = tuning.segmentRise * critical * segmentLength
        var previous: Double?
        var end = m
        for segment in stride(from: segments - 1, through: segments - 1 - tuning.risingSegments, by: -1) {
            let lowerX = -covered + Double(segment) * segmentLength
            var start = end
            while start > 0, buffers.xs[start - 1] >= lowerX { start -= 1 }
            guard start < end else { return false }
            // The mean, not the median: the floor is a staircase when a sawtooth's troughs are sparser
            // than segments, and medians of neighbouring segments would then often tie.
            var sum = 0.0
            for i in start..<end { sum += buffers.rssFloor[i] }
            let level = sum / Double(end - start)
            if let later = previous, later - level < minimumRise { return false }
            previous = level
            end = start
        }
        diagnostics.growing = true
        return true
    }

    /// Span of samples before the first, provisional grade: a third of `window` (100 s at the default 5 min).
    public var provisionalAfter: Duration { configuration.window * tuning.provisionalSpan }
    /// Span of samples before the final grade, the first that may act: two thirds of `window`.
    public var finalAfter: Duration { configuration.window * tuning.minimumSpan }

    /// Buckets currently held (internal: the memory bound is `bucketCapacity`).
    var retainedBuckets: Int { ring.count }
    /// The most buckets the detector ever holds for its window.
    var bucketCapacity: Int { geometry.ringCapacity }

    /// Grades `rate` (MiB/min): up at once, down only below `(1 - margin)` of the current level's threshold.
    /// The severity for a window slope `rate` and a `recent` slope (MiB/min): up to the highest level both
    /// reach, down only when `rate` falls below `1 - margin` of the current level (see Severity and
    /// Hysteresis on the type).
    static func grade(_ rate: Double, recent: Double? = nil, previous: LeakSeverity, thresholds: LeakThresholds,
                      margin: Double) -> LeakSeverity
    {
        let entry = min(rate, recent ?? rate)
        var raw = LeakSeverity.none
        for level in LeakSeverity.allCases.dropFirst() where entry >= thresholds.threshold(of: level) { raw = level }
        guard raw < previous else { return raw }
        var level = previous
        while level > raw, rate < thresholds.threshold(of: level) * (1 - margin) {
            level = LeakSeverity.allCases[LeakSeverity.allCases.firstIndex(of: level)! - 1]
        }
        return level
    }
}

private let mebibyte = 1_048_576.0

/// How current critical growth bends (criterion 6 of `LeakDetector`).
private enum GrowthShape: Sendable {
    /// As fast now as before: a leak's shape.
    case steady
    /// Faster in the newer half of the window than in the older: it began inside the window, an estimated
    /// `age` seconds ago.
    case accelerating(age: Double)
    /// Clearly slower now than before: heading for a plateau.
    case saturating
}

/// Bucket layout derived from the window.
private struct Geometry: Sendable {
    var buckets: Int
    var bucketNanoseconds: Int64
    var floorHalfWidth: Int
    var ringCapacity: Int

    init(window: Duration, tuning: LeakTuning) {
        buckets = max(tuning.buckets, 2)
        bucketNanoseconds = max(window.nanoseconds / Int64(buckets), 1)
        floorHalfWidth = max(Int((tuning.floorHalfWidth * Double(buckets)).rounded()), 0)
        ringCapacity = buckets + floorHalfWidth + 1
    }

    func bucketIndex(of time: Int64) -> Int64 {
        let (quotient, remainder) = time.quotientAndRemainder(dividingBy: bucketNanoseconds)
        return remainder < 0 ? quotient - 1 : quotient
    }
}
