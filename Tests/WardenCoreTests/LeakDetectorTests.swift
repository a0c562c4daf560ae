import Foundation
import Testing
@testable import WardenCore

/// Behaviour of `LeakDetector` on small, exact series: warm-up, grading, hysteresis, limits, reset.
@Suite("Leak detector")
struct LeakDetectorTests {
    static let mib: UInt64 = 1_048_576

    /// A noise-free linear series: `rate` MiB/min from `base` MB, one sample per `interval` seconds.
    static func linear(rate: Double, base: Double = 200, seconds: Double, interval: Double = 1)
        -> [(time: Double, mb: Double)]
    {
        (0..<Int(seconds / interval)).map { i in
            let t = Double(i) * interval
            return (t, base + rate * t / 60)
        }
    }

    static func sample(_ t: Double, mb: Double = 100, fds: Int = 10, threads: Int = 4) -> ResourceSample {
        ResourceSample(time: .milliseconds(Int64((t * 1000).rounded())), rssBytes: UInt64(mb * 1_048_576),
                       fds: fds, threads: threads)
    }

    @Test("warming up (no severity, no rates) until 1/3 of the window, provisional until 2/3, then final")
    func warmUp() {
        var detector = LeakDetector(configuration: LeakDetectorConfiguration())
        #expect(detector.provisionalAfter == .seconds(100) && detector.finalAfter == .seconds(200))
        for t in 0..<100 {
            let verdict = detector.observe(Self.sample(Double(t), mb: 100 + Double(t)))  // 60 MiB/min
            #expect(verdict.warmingUp && !verdict.provisional, "t=\(t)")
            #expect(verdict.severity == .none && verdict.action == nil)
            #expect(verdict.rssGrowthMBPerMinute == nil && verdict.fdGrowthPerMinute == nil
                    && verdict.threadGrowthPerMinute == nil)
            #expect(verdict.samples == t + 1)
        }
        for t in 100..<200 {
            let verdict = detector.observe(Self.sample(Double(t), mb: 100 + Double(t)))
            #expect(!verdict.warmingUp && verdict.provisional, "t=\(t)")
            #expect(verdict.severity == .critical && verdict.action == nil && verdict.forecast == nil, "t=\(t)")
            #expect(abs((verdict.rssGrowthMBPerMinute ?? 0) - 60) < 0.5)
        }
        let verdict = detector.observe(Self.sample(200, mb: 300))
        #expect(!verdict.warmingUp && !verdict.provisional)
        #expect(verdict.windowSeconds == 200)
        #expect(verdict.severity == .critical)
        #expect(abs((verdict.rssGrowthMBPerMinute ?? 0) - 60) < 0.5)
    }

    @Test("a provisional grade never acts and leaves nothing behind: the final verdicts are those of a detector that never graded provisionally")
    func provisionalLeavesNoTrace() {
        // A leak at 10x critical with rss_max close: the forecast would act at once on a final verdict.
        var configuration = LeakDetectorConfiguration()
        configuration.rssMaxBytes = 2_000 * Self.mib
        var detector = LeakDetector(configuration: configuration)
        var tuning = LeakTuning()
        tuning.provisionalSpan = tuning.minimumSpan   // no provisional phase
        var reference = LeakDetector(configuration: configuration, tuning: tuning)
        var provisionalSeen = false
        for t in 0..<400 {
            let sample = Self.sample(Double(t), mb: 100 + 2.5 * Double(t))  // 150 MiB/min
            let verdict = detector.observe(sample)
            let expected = reference.observe(sample)
            if verdict.provisional {
                provisionalSeen = true
                #expect(verdict.action == nil && verdict.forecast == nil && !verdict.beforeSustain, "t=\(t)")
                #expect(expected.warmingUp)
            } else {
                #expect(verdict == expected, "t=\(t)")
            }
        }
        #expect(provisionalSeen)
    }

    @Test("warm-up also needs a minimum number of samples, not only a covered span")
    func warmUpNeedsSamples() {
        var detector = LeakDetector(configuration: LeakDetectorConfiguration())
        // One sample every 50 s: 5 samples cover 200 s, still warming up.
        for i in 0..<5 {
            #expect(detector.observe(Self.sample(Double(i) * 50)).warmingUp)
        }
    }

    @Test("severity is graded by the RSS slope in MiB/min against the thresholds",
          arguments: [(0.0, LeakSeverity.none), (2, .none), (4, .low), (7, .medium), (13, .high), (20, .critical)])
    func grading(rate: Double, expected: LeakSeverity) {
        var detector = LeakDetector(configuration: LeakDetectorConfiguration())
        let run = detector.run(Self.linear(rate: rate, seconds: 400))
        let last = run.verdicts.last!
        #expect(last.severity == expected)
        #expect(abs((last.rssGrowthMBPerMinute ?? -1) - rate) < 0.05)
    }

    @Test("a steady leak at exactly the critical rate is graded at least high, and a sub-critical one never acts")
    func boundaries() {
        var detector = LeakDetector(configuration: LeakDetectorConfiguration())
        let exact = detector.run(Self.linear(rate: 15, seconds: 900))
        #expect(exact.severities(after: 0).allSatisfy { $0 >= .high })
        detector.reset()
        let sub = detector.run(Self.linear(rate: 14.9, seconds: 900))
        #expect(sub.firstAction == nil)
        #expect(sub.severities(after: 0).allSatisfy { $0 == .high })
    }

    @Test("a noise-free critical leak from the start acts after 2/3 of the window plus sustain")
    func criticalTiming() {
        var detector = LeakDetector(configuration: LeakDetectorConfiguration())
        let run = detector.run(Self.linear(rate: 30, seconds: 600))
        #expect(run.firstVerdict == 200)
        #expect(run.firstAction?.reason == .memoryGrowth)
        #expect(run.firstAction?.time == 260)
        // The action is reported on every later sample while the growth continues.
        #expect(run.verdicts[261...].allSatisfy { $0.action == .memoryGrowth })
    }

    @Test("steady critical growth that would reach rss_max or the host's memory before the sustain ends acts at once")
    func forecastActsEarly() throws {
        // 30 MiB/min from 200 MB: critical (and steady) from t = 200 s, at 300 MB.
        var near = LeakDetector(configuration: LeakDetectorConfiguration(rssMaxBytes: 320 * Self.mib))
        let early = near.run(Self.linear(rate: 30, seconds: 300))
        #expect(early.firstAction?.reason == .memoryGrowth && early.firstAction?.time == 200)
        let verdict = try #require(early.verdicts.first { $0.action != nil })
        #expect(verdict.beforeSustain && verdict.forecast?.limit == .rssMax)
        #expect(abs((verdict.forecast?.seconds ?? 0) - 40) < 2, "20 MB at 30 MiB/min")
        #expect(verdict.forecast?.summary.hasPrefix("rss_max in ~") == true)

        // rss_max 200 s away: the sustain ends first, as without a limit.
        var far = LeakDetector(configuration: LeakDetectorConfiguration(rssMaxBytes: 400 * Self.mib))
        let late = far.run(Self.linear(rate: 30, seconds: 300))
        #expect(late.firstAction?.time == 260)
        #expect(late.verdicts.allSatisfy { !$0.beforeSustain })
        #expect(late.verdicts[200].forecast?.limit == .rssMax)

        // The host has 10 MB left: 20 s at 30 MiB/min.
        var host = LeakDetector(configuration: LeakDetectorConfiguration())
        var first: (Double, LeakVerdict)?
        for (t, mb) in Self.linear(rate: 30, seconds: 300) {
            var sample = Self.sample(t, mb: mb)
            sample.headroomBytes = 10 * Self.mib
            let verdict = host.observe(sample)
            if first == nil, verdict.action != nil { first = (t, verdict) }
        }
        #expect(first?.0 == 200 && first?.1.forecast?.limit == .hostMemory && first?.1.beforeSustain == true)
    }

    @Test("graded growth below critical carries its forecast (shown by status) but never acts; none while ungraded or provisional")
    func forecastShownBeforeAnyAction() throws {
        // 8 MiB/min: medium, with rss_max 100 MB above where it stands.
        var detector = LeakDetector(configuration: LeakDetectorConfiguration(rssMaxBytes: 400 * Self.mib))
        let run = detector.run(Self.linear(rate: 8, base: 300, seconds: 600))
        #expect(run.firstAction == nil)
        for (index, verdict) in run.verdicts.enumerated() {
            if verdict.warmingUp || verdict.provisional { #expect(verdict.forecast == nil, "t=\(index)") }
        }
        let last = try #require(run.verdicts.last)
        #expect(last.severity == .medium && last.forecast?.limit == .rssMax && !last.beforeSustain)
        #expect(abs((last.forecast?.seconds ?? 0) - (100 - 8 * 599 / 60.0) / 8 * 60) < 5)
        #expect(last.forecast?.summary.hasPrefix("rss_max in ~") == true)
        var flat = LeakDetector(configuration: LeakDetectorConfiguration(rssMaxBytes: 400 * Self.mib))
        #expect(flat.run(Self.linear(rate: 0, seconds: 400)).verdicts.allSatisfy { $0.forecast == nil }, "no growth, no forecast")
    }

    @Test("a warm-up that bends towards its plateau is never restarted early, however close the host's limit")
    func forecastSparesWarmUps() {
        // Exponential warm-up, 400 MB with tau = 3 min, and only 50 MB left on the host at every sample.
        var detector = LeakDetector(configuration: LeakDetectorConfiguration())
        var actions = 0
        for t in stride(from: 0.0, to: 1_800, by: 1) {
            var sample = Self.sample(t, mb: 200 + 400 * (1 - exp(-t / 180)))
            sample.headroomBytes = 50 * Self.mib
            if detector.observe(sample).action != nil { actions += 1 }
        }
        #expect(actions == 0)
    }

    @Test("hysteresis: the severity goes up at a threshold but only comes down below 90 % of it")
    func hysteresis() {
        let thresholds = LeakThresholds.defaults
        func grade(_ rate: Double, _ previous: LeakSeverity) -> LeakSeverity {
            LeakDetector.grade(rate, previous: previous, thresholds: thresholds, margin: 0.1)
        }
        #expect(grade(6, .low) == .medium)
        #expect(grade(5.5, .medium) == .medium)  // within 10 % below 6: stays
        #expect(grade(5.39, .medium) == .low)
        #expect(grade(14, .critical) == .critical)
        #expect(grade(13.4, .critical) == .high)
        #expect(grade(10.9, .critical) == .high)  // 10.9 >= 90 % of high's 12
        #expect(grade(10.7, .critical) == .medium)  // falls through several levels at once
        #expect(grade(0, .critical) == .none)
        #expect(grade(16, .none) == .critical)

        // On a series: a slope wandering around 6 MiB/min (5.6 ... 6.4) once medium stays medium.
        var detector = LeakDetector(configuration: LeakDetectorConfiguration())
        var series: [(time: Double, mb: Double)] = []
        var level = 200.0
        for t in 0..<1200 {
            let rate = 6 + 0.4 * (t / 150 % 2 == 0 ? 1 : -1)
            level += rate / 60
            series.append((Double(t), level))
        }
        let run = detector.run(series)
        let grades = run.severities(after: 0)
        #expect(!grades.isEmpty && grades.allSatisfy { $0 == .medium }, "\(Set(grades))")
    }

    @Test("rss_max exceeded continuously for sustain acts with rss-max, also while warming up; a dip restarts the clock")
    func rssMax() {
        var configuration = LeakDetectorConfiguration()
        configuration.rssMaxBytes = 500 * Self.mib
        var detector = LeakDetector(configuration: configuration)
        // Above the limit from t=10 s, except one dip at t=40 s: the clock restarts at 41 s.
        var actionAt: Double?
        for t in 0...120 {
            let mb: Double = t < 10 ? 400 : (t == 40 ? 500 : 600)
            let verdict = detector.observe(Self.sample(Double(t), mb: mb))
            if t < 200 { #expect(verdict.warmingUp || verdict.provisional) }
            if let action = verdict.action, actionAt == nil {
                #expect(action == .rssMax)
                actionAt = Double(t)
            }
        }
        #expect(actionAt == 101)
    }

    @Test("fds_max and threads_max exceeded for sustain act with fds-max and threads-max",
          arguments: [TransitionReason.fdsMax, .threadsMax])
    func countLimits(reason: TransitionReason) {
        var configuration = LeakDetectorConfiguration(window: .seconds(5), sustain: .milliseconds(500))
        configuration.fdsMax = 120
        configuration.threadsMax = 50
        var detector = LeakDetector(configuration: configuration)
        var actionAt: Double?
        for i in 0..<100 {
            let t = Double(i) * 0.1
            let over = t >= 2
            let verdict = detector.observe(Self.sample(
                t, fds: reason == .fdsMax && over ? 121 : 120, threads: reason == .threadsMax && over ? 51 : 50))
            if let action = verdict.action, actionAt == nil {
                #expect(action == reason)
                actionAt = t
            }
        }
        #expect(abs((actionAt ?? -1) - 2.5) < 1e-9)
    }

    @Test("with sustain zero a limit acts on the first sample above it; at the limit is not above it")
    func zeroSustain() {
        var detector = LeakDetector(configuration: LeakDetectorConfiguration(
            sustain: .zero, rssMaxBytes: 100 * Self.mib))
        #expect(detector.observe(Self.sample(0, mb: 100)).action == nil)
        #expect(detector.observe(Self.sample(1, mb: 101)).action == .rssMax)
    }

    @Test("fd and thread growth are reported per minute, computed like the RSS slope")
    func countSlopes() {
        var detector = LeakDetector(configuration: LeakDetectorConfiguration(window: .seconds(60)))
        var verdict: LeakVerdict?
        for i in 0..<600 {
            let t = Double(i) * 0.1
            // +2 fds per second (120/min); +1 thread every 10 s (6/min).
            verdict = detector.observe(Self.sample(t, fds: 10 + Int(t * 2), threads: 4 + Int(t / 10)))
        }
        let fd = verdict?.fdGrowthPerMinute ?? 0
        let threads = verdict?.threadGrowthPerMinute ?? 0
        #expect(abs(fd - 120) < 2.5, "fd slope \(fd)")
        #expect(abs(threads - 6) < 1, "thread slope \(threads)")
        #expect(verdict?.severity == LeakSeverity.none && verdict?.action == nil)
    }

    @Test("reset clears the window, the severity and every sustain clock")
    func reset() {
        var configuration = LeakDetectorConfiguration()
        configuration.rssMaxBytes = 10_000 * Self.mib
        var detector = LeakDetector(configuration: configuration)
        let run = detector.run(Self.linear(rate: 60, seconds: 400))
        #expect(run.firstAction?.reason == .memoryGrowth)
        // Also leave the rss_max clock half-way.
        _ = detector.observe(Self.sample(400, mb: 20_000))
        detector.reset()
        // The new process starts from scratch: warming up, and no inherited sustain.
        for t in 0..<59 {
            let verdict = detector.observe(Self.sample(1000 + Double(t), mb: 20_000))
            #expect(verdict.warmingUp && verdict.severity == .none && verdict.action == nil)
            #expect(verdict.samples == t + 1)
        }
        #expect(detector.observe(Self.sample(1060, mb: 20_000)).action == .rssMax)
        detector.reset()
        let again = detector.run(Self.linear(rate: 60, seconds: 400).map { ($0.time + 5000, $0.mb) })
        #expect(again.firstAction?.time == 5260)
    }

    @Test("memory is bounded: 100 ms samples over a long window keep at most the ring's buckets")
    func boundedMemory() {
        var detector = LeakDetector(configuration: LeakDetectorConfiguration(window: .seconds(600)))
        for i in 0..<15_000 {
            _ = detector.observe(Self.sample(Double(i) * 0.1, mb: 100 + Double(i % 7)))
            #expect(detector.retainedBuckets <= detector.bucketCapacity)
        }
        #expect(detector.bucketCapacity < 100)
        let verdict = detector.observe(Self.sample(1500))
        #expect(verdict.samples > 5900 && verdict.samples <= 6000)
        #expect(verdict.windowSeconds <= 600)
    }

    @Test("a sample older than the previous one counts as taken at the previous time")
    func outOfOrder() {
        var detector = LeakDetector(configuration: LeakDetectorConfiguration(window: .seconds(10)))
        _ = detector.observe(Self.sample(5))
        let verdict = detector.observe(Self.sample(3))
        #expect(verdict.samples == 2 && verdict.windowSeconds == 0)
    }

    @Test("changing the window clears the state; changing thresholds keeps the samples")
    func reconfigure() {
        var detector = LeakDetector(configuration: LeakDetectorConfiguration())
        _ = detector.run(Self.linear(rate: 8, seconds: 300))
        detector.configuration.thresholds = LeakThresholds(low: 1, medium: 2, high: 4, critical: 7)
        var verdict = detector.observe(Self.sample(300, mb: 240))
        #expect(!verdict.warmingUp && verdict.severity == .critical)
        detector.configuration.window = .seconds(120)
        verdict = detector.observe(Self.sample(301, mb: 240))
        #expect(verdict.warmingUp && verdict.samples == 1)
    }
}

@Suite("Leak detector: shared work buffers")
struct LeakScratchTests {
    @Test("detectors taking turns with one shared LeakScratch give exactly the verdicts of detectors with their own")
    func sharedScratchIsTransparent() {
        let configuration = LeakDetectorConfiguration(window: .seconds(30), sustain: .seconds(5))
        var alone = [LeakDetector(configuration: configuration), LeakDetector(configuration: configuration)]
        var sharing = alone
        var scratch = LeakScratch()
        for t in 0..<120 {
            // One leaks 60 MiB/min, the other saws between 100 and 140 MB.
            let series = [100 + Double(t), 100 + Double(t % 20) * 2]
            for index in 0..<2 {
                let sample = LeakDetectorTests.sample(Double(t), mb: series[index])
                let own = alone[index].observe(sample)
                let lent = sharing[index].observe(sample, sharing: &scratch)
                #expect(own == lent, "t=\(t) detector \(index)")
            }
        }
        #expect(alone[0].observe(LeakDetectorTests.sample(120, mb: 220)).severity == .critical)
    }
}
