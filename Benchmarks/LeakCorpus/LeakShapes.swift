import Foundation
public import WardenCore

/// Deterministic generators of RSS/fd/thread series for the leak detector tests.
///
/// Every shape is described in "standard time" (the default configuration: 1 s samples, 5 min window,
/// 1 min sustain) and stretched by a scenario's `timeScale`; the short scenario (100 ms samples, 5 s
/// window, 1 s sustain) compresses time 60×. Sizes stay in MB (MiB); leak rates are given in real MB/min.

/// SplitMix64: tiny, seedable, good enough for test data.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    public mutating func unit() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }

    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }

    /// Standard normal (Box–Muller).
    public mutating func gaussian() -> Double { sqrt(-2 * log(unit())) * cos(2 * Double.pi * unit()) }

    /// Exponential with this mean.
    public mutating func exponential(mean: Double) -> Double { -mean * log(unit()) }
}

/// Ornstein–Uhlenbeck noise: stationary, standard deviation `sigma`, correlation time `tau` seconds.
public struct OUNoise {
    public var sigma: Double
    public var tau: Double
    private var value = 0.0

    public init(sigma: Double, tau: Double) {
        self.sigma = sigma
        self.tau = tau
    }

    public mutating func next(dt: Double, _ rng: inout SeededGenerator) -> Double {
        guard sigma > 0 else { return 0 }
        let a = exp(-dt / tau)
        value = a * value + sigma * (1 - a * a).squareRoot() * rng.gaussian()
        return value
    }
}

/// A configuration plus the sampling of a test series.
public struct LeakScenario: Sendable, CustomStringConvertible {
    public var name: String
    /// Seconds of this scenario per second of standard time.
    public var timeScale: Double
    public var interval: Double
    public var configuration: LeakDetectorConfiguration
    /// Noise of the leaking and flat shapes, MB (the heavy-noise shape has its own).
    public var noise: Double

    public var window: Double { configuration.window.seconds }
    public var sustain: Double { configuration.sustain.seconds }
    public var critical: Double { configuration.thresholds.critical }
    public var description: String { name }

    /// 1 s samples, 5 min window, 1 min sustain, thresholds 3/6/12/15 MB/min.
    public static let standard = LeakScenario(
        name: "standard", timeScale: 1, interval: 1,
        configuration: LeakDetectorConfiguration(
            window: .seconds(300), sustain: .seconds(60), thresholds: .defaults), noise: 2)

    /// 100 ms samples, 5 s window, 1 s sustain: the standard scenario 60× faster, so the thresholds are
    /// scaled ×60 too (180/360/720/900 MB/min) and every standard shape keeps its meaning.
    public static let short = LeakScenario(
        name: "short", timeScale: 1.0 / 60, interval: 0.1,
        configuration: LeakDetectorConfiguration(
            window: .seconds(5), sustain: .seconds(1),
            thresholds: LeakThresholds(low: 180, medium: 360, high: 720, critical: 900)), noise: 2)

    /// The integration test's setting: 100 ms samples, 5 s window, 1 s sustain, default thresholds, and
    /// the near-noiseless RSS of a real idle worker (page-sized jitter).
    public static let shortDefaultThresholds = LeakScenario(
        name: "short-default-thresholds", timeScale: 1.0 / 60, interval: 0.1,
        configuration: LeakDetectorConfiguration(
            window: .seconds(5), sustain: .seconds(1), thresholds: .defaults), noise: 0.02)
}

/// A memory shape. Times are standard-time seconds, sizes MB, rates MB/min (real).
public enum LeakShape: Sendable, CustomStringConvertible {
    /// Flat 400 MB with heavy OU noise (`sigma`, 20 s correlation) plus 3 MB white jitter.
    case noisyFlat(sigma: Double)
    /// Cache fill: `megabytes` within `seconds` (fast at first, exponential approach), then flat.
    case warmUp(megabytes: Double, seconds: Double)
    /// Linear growth of `megabytes` over `seconds`, then flat.
    case linearWarmUp(megabytes: Double, seconds: Double)
    /// Bounded drift: `megabytes × (1 − e^(−t/tau))`.
    case exponentialDrift(megabytes: Double, tau: Double)
    /// GC sawtooth: rises linearly by `amplitude` over a period (jittered ±10 %), then drops.
    case sawtooth(period: Double, amplitude: Double)
    /// The integration workload's sawtooth: ramps up by `amplitude` over half a period, frees it all
    /// and stays at the floor for the other half.
    case halfSawtooth(period: Double, amplitude: Double)
    /// One allocation of `megabytes` at `at`, flat otherwise.
    case step(megabytes: Double, at: Double)
    /// `steps` steps of `megabytes`, one every `every` seconds, then flat.
    case staircase(megabytes: Double, every: Double, steps: Int)
    /// +`megabytes` for `width` seconds every `every` seconds, freed again.
    case batchSpikes(megabytes: Double, every: Double, width: Double)
    /// Slow bounded wander: `amplitude × sin(2πt/period)`.
    case sine(amplitude: Double, period: Double)
    /// Leak of `rate` MB/min from `start`, in lumpy allocations (exponential gaps of ~1 s, gamma sizes),
    /// with a ±10 % traffic cycle.
    case leak(rate: Double, start: Double)
    /// The same leak on top of a GC sawtooth.
    case sawtoothLeak(rate: Double, period: Double, amplitude: Double)
    /// Logistic warm-up: `megabytes` in an S-curve centred at `centre` s, `scale` s wide (slowest at the
    /// ends, fastest in the middle at `megabytes / (4 scale)` MB/s).
    case logisticWarmUp(megabytes: Double, centre: Double, scale: Double)
    /// Bounded hyperbolic drift: `megabytes × t / (t + half)`; its rate decays as a power law, not
    /// geometrically.
    case hyperbolicDrift(megabytes: Double, half: Double)
    /// A fast warm-up of `megabytes` over the first 60 s, then a leak of `rate` MB/min from `start`.
    case leakAfterWarmUp(rate: Double, start: Double, megabytes: Double)

    public var description: String {
        switch self {
        case .noisyFlat(let sigma): return "noisy flat σ\(sigma)"
        case .warmUp(let mb, let s): return "warm-up +\(mb) MB in \(s) s"
        case .linearWarmUp(let mb, let s): return "linear warm-up +\(mb) MB over \(s) s"
        case .exponentialDrift(let mb, let tau): return "bounded drift \(mb) MB τ \(tau) s"
        case .sawtooth(let p, let a): return "sawtooth period \(p) s amplitude \(a) MB"
        case .halfSawtooth(let p, let a): return "ramp-and-free period \(p) s amplitude \(a) MB"
        case .step(let mb, let at): return "step +\(mb) MB at \(at) s"
        case .staircase(let mb, let every, let steps): return "\(steps) steps of \(mb) MB every \(every) s"
        case .batchSpikes(let mb, let every, let width): return "spikes +\(mb) MB for \(width) s every \(every) s"
        case .sine(let a, let p): return "sine ±\(a) MB period \(p) s"
        case .leak(let rate, let start): return "leak \(rate) MB/min from \(start) s"
        case .sawtoothLeak(let rate, let p, let a): return "leak \(rate) MB/min on sawtooth \(p) s \(a) MB"
        case .logisticWarmUp(let mb, let c, let w): return "logistic warm-up +\(mb) MB at \(c) s ±\(w) s"
        case .hyperbolicDrift(let mb, let half): return "hyperbolic drift \(mb) MB half at \(half) s"
        case .leakAfterWarmUp(let rate, let start, let mb): return "warm-up +\(mb) MB, then leak \(rate) MB/min from \(start) s"
        }
    }

    /// Where the leak starts (standard time), or `nil` for a non-leak.
    public var leakStart: Double? {
        switch self {
        case .leak(_, let start): return start
        case .sawtoothLeak: return 0
        case .leakAfterWarmUp(_, let start, _): return start
        default: return nil
        }
    }

    /// The leak rate (real MB/min), or `nil` for a non-leak.
    public var leakRate: Double? {
        switch self {
        case .leak(let rate, _), .sawtoothLeak(let rate, _, _), .leakAfterWarmUp(let rate, _, _): return rate
        default: return nil
        }
    }

    /// The shape for `scenario`: its leak rate multiplied as the scenario's thresholds are (×60 for the
    /// short scenario), so that it keeps its grade.
    public func scaled(to scenario: LeakScenario) -> LeakShape {
        let k = scenario.critical / LeakScenario.standard.critical
        switch self {
        case .leak(let rate, let start): return .leak(rate: rate * k, start: start)
        case .sawtoothLeak(let rate, let p, let a): return .sawtoothLeak(rate: rate * k, period: p, amplitude: a)
        case .leakAfterWarmUp(let rate, let start, let mb): return .leakAfterWarmUp(rate: rate * k, start: start, megabytes: mb)
        default: return self
        }
    }

    /// Shapes that are not leaks: no action, ever.
    public static let nonLeaks: [LeakShape] = [
        .noisyFlat(sigma: 15),
        .warmUp(megabytes: 300, seconds: 60),
        .warmUp(megabytes: 40, seconds: 20),
        .sawtooth(period: 5, amplitude: 50),
        .sawtooth(period: 15, amplitude: 120),
        .step(megabytes: 80, at: 60),  // early
        .step(megabytes: 80, at: 600),  // mid-run
        .batchSpikes(megabytes: 150, every: 60, width: 10),
        .staircase(megabytes: 50, every: 40, steps: 3),
        .sawtooth(period: 60, amplitude: 100),
        .sine(amplitude: 40, period: 1200),
        // Slow, decelerating growth that heads for a plateau: warm-ups, not leaks.
        .linearWarmUp(megabytes: 150, seconds: 150),
        .exponentialDrift(megabytes: 200, tau: 60),
        .exponentialDrift(megabytes: 250, tau: 120),
        .exponentialDrift(megabytes: 400, tau: 180),
        .warmUp(megabytes: 150, seconds: 360),  // a cache filling over 6 min
        .logisticWarmUp(megabytes: 100, centre: 120, scale: 30),
        .logisticWarmUp(megabytes: 200, centre: 200, scale: 40),
        .hyperbolicDrift(megabytes: 200, half: 120),
        .hyperbolicDrift(megabytes: 300, half: 60),
    ]

    /// Critical leaks (real MB/min): restarted within `window + sustain` of their start.
    public static let criticalLeaks: [LeakShape] = [
        .leak(rate: 30, start: 0),
        .leak(rate: 120, start: 0),
        .leak(rate: 20, start: 0),
        .sawtoothLeak(rate: 18, period: 20, amplitude: 80),
        .leak(rate: 30, start: 400),  // after a flat baseline
        .leak(rate: 20, start: 400),
        .leakAfterWarmUp(rate: 18, start: 120, megabytes: 200),
        .leakAfterWarmUp(rate: 25, start: 60, megabytes: 300),
    ]

    /// Leaks below critical: graded at their rate, never restarted.
    public static let subCriticalLeaks: [LeakShape] = [
        .leak(rate: 2, start: 0),
        .leak(rate: 6, start: 0),
        .leak(rate: 10, start: 0),
    ]

    /// RSS series in MB for `duration` standard-time seconds of `scenario`, deterministic for `seed`.
    public func series(_ scenario: LeakScenario, duration: Double, seed: UInt64) -> [(time: Double, mb: Double)] {
        var rng = SeededGenerator(seed: seed)
        let scale = scenario.timeScale
        let dt = scenario.interval
        let count = Int((duration * scale / dt).rounded())
        var noise = OUNoise(sigma: scenario.noise, tau: 20 * scale)
        var heavy = OUNoise(sigma: 0, tau: 20 * scale)
        if case .noisyFlat(let sigma) = self { heavy = OUNoise(sigma: sigma, tau: 20 * scale) }
        // Leak state.
        var leaked = 0.0
        let gap = 1 * scale
        var nextAllocation = rng.exponential(mean: gap)
        // Sawtooth state.
        var cycleStart = -rng.uniform(0, 1)
        var cyclePeriod = 1.0
        var started = false
        var out: [(time: Double, mb: Double)] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            let t = Double(i) * dt
            let s = t / scale  // standard time
            let jitter = noise.next(dt: dt, &rng) + 0.25 * scenario.noise * rng.gaussian()
            func leakTo(_ rate: Double, from start: Double) -> Double {
                while t >= nextAllocation {
                    if nextAllocation >= start * scale {
                        let traffic = 1 + 0.1 * sin(2 * Double.pi * nextAllocation / (420 * scale))
                        // Gamma(2) sizes with mean rate·gap: lumpy, but the mean rate is exact.
                        let size = rng.exponential(mean: 0.5) + rng.exponential(mean: 0.5)
                        leaked += size * rate / 60 * gap * traffic
                    }
                    nextAllocation += rng.exponential(mean: gap)
                }
                return leaked
            }
            func saw(_ period: Double, _ amplitude: Double) -> Double {
                if !started {
                    cyclePeriod = period * scale
                    cycleStart = -rng.uniform(0, cyclePeriod)
                    started = true
                }
                while t >= cycleStart + cyclePeriod {
                    cycleStart += cyclePeriod
                    cyclePeriod = period * scale * rng.uniform(0.9, 1.1)
                }
                return amplitude * (t - cycleStart) / cyclePeriod
            }
            let value: Double
            switch self {
            case .noisyFlat:
                value = 400 + heavy.next(dt: dt, &rng) + 3 * rng.gaussian()
            case .warmUp(let mb, let seconds):
                let fill = s < seconds ? (1 - exp(-4 * s / seconds)) / (1 - exp(-4)) : 1
                value = 80 + mb * fill + jitter
            case .linearWarmUp(let mb, let seconds):
                value = 100 + mb * min(1, s / seconds) + jitter
            case .exponentialDrift(let mb, let tau):
                value = 100 + mb * (1 - exp(-s / tau)) + jitter
            case .sawtooth(let period, let amplitude):
                value = 200 + saw(period, amplitude) + 0.5 * jitter
            case .halfSawtooth(let period, let amplitude):
                let phase = saw(period, 1)
                value = 100 + (phase < 0.5 ? amplitude * phase * 2 : 0) + jitter
            case .step(let mb, let at):
                value = 100 + (s >= at ? mb : 0) + jitter
            case .staircase(let mb, let every, let steps):
                value = 100 + mb * Double(min(steps, Int(s / every))) + jitter
            case .batchSpikes(let mb, let every, let width):
                value = 180 + (s.truncatingRemainder(dividingBy: every) < width ? mb : 0) + jitter
            case .sine(let amplitude, let period):
                value = 300 + amplitude * sin(2 * Double.pi * s / period) + jitter
            case .leak(let rate, let start):
                value = 200 + leakTo(rate, from: start) + jitter
            case .sawtoothLeak(let rate, let period, let amplitude):
                value = 250 + leakTo(rate, from: 0) + saw(period, amplitude) + 0.5 * jitter
            case .logisticWarmUp(let mb, let centre, let scale):
                value = 100 + mb / (1 + exp(-(s - centre) / scale)) + jitter
            case .hyperbolicDrift(let mb, let half):
                value = 100 + mb * s / (s + half) + jitter
            case .leakAfterWarmUp(let rate, let start, let mb):
                value = 100 + mb * min(1, s / 60) + leakTo(rate, from: start) + jitter
            }
            out.append((time: t, mb: max(1, value)))
        }
        return out
    }
}

/// The outcome of feeding a series to a detector.
public struct LeakRun {
    public var verdicts: [LeakVerdict] = []
    public var times: [Double] = []
    /// Time of the first verdict with an action, and that action.
    public var firstAction: (time: Double, reason: TransitionReason)?
    /// Time of the first final verdict (neither warming up nor provisional).
    public var firstVerdict: Double?
    /// Time of the first grade, provisional or final.
    public var firstGrade: Double?

    /// Severities of the final verdicts after `time` (neither warming up nor provisional).
    public func severities(after time: Double) -> [LeakSeverity] {
        zip(times, verdicts).filter { $0.0 >= time && !$0.1.warmingUp && !$0.1.provisional }.map(\.1.severity)
    }

    /// Severities of the provisional verdicts.
    public var provisionalSeverities: [LeakSeverity] { verdicts.filter(\.provisional).map(\.severity) }
}

extension LeakDetector {
    /// Feeds `series` (MB) with constant fds/threads, returning every verdict.
    public mutating func run(_ series: [(time: Double, mb: Double)], fds: Int = 10, threads: Int = 4) -> LeakRun {
        var run = LeakRun()
        run.verdicts.reserveCapacity(series.count)
        for point in series {
            let verdict = observe(ResourceSample(
                time: .nanoseconds(Int64((point.time * 1e9).rounded())),
                rssBytes: UInt64(point.mb * 1_048_576), fds: fds, threads: threads))
            run.verdicts.append(verdict)
            run.times.append(point.time)
            if run.firstAction == nil, let action = verdict.action { run.firstAction = (point.time, action) }
            if run.firstGrade == nil, !verdict.warmingUp { run.firstGrade = point.time }
            if run.firstVerdict == nil, !verdict.warmingUp, !verdict.provisional { run.firstVerdict = point.time }
        }
        return run
    }
}
