import Testing
import WardenCore

@Suite("History tiers, query plans and rollups")
struct HistoryPlanTests {
    static let week = 7.0 * 86_400

    @Test("each range is answered by the coarsest tier with at least 300 points, at most 2000 points", arguments: [
        (0.25, HistoryTier.raw, 0.0), (0.5, .raw, 0), (1, .tenSeconds, 10), (3, .tenSeconds, 10), (6, .minute, 60),
        (24, .minute, 60), (48, .minute, 87), (72, .tenMinutes, 600), (168, .tenMinutes, 600),
    ])
    func plans(hours: Double, tier: HistoryTier, bucket: Double) {
        let plan = HistoryPlan.choose(span: hours * 3_600, age: hours * 3_600, sampleInterval: 1, retention: Self.week)
        #expect(plan == HistoryPlan(tier: tier, bucket: bucket), "\(hours) h")
        let width = plan.bucket == 0 ? 1 : plan.bucket
        #expect(hours * 3_600 / width <= HistoryPlan.maximumPoints)
    }

    @Test("a range that starts further back than a tier keeps is answered by a tier that still has it")
    func oldRange() {
        // One hour, two days ago: only the minute and 10-minute tiers reach back that far.
        let plan = HistoryPlan.choose(span: 3_600, age: 49 * 3_600, sampleInterval: 1, retention: Self.week)
        #expect(plan.tier == .tenMinutes)
        let recent = HistoryPlan.choose(span: 3_600, age: 47 * 3_600, sampleInterval: 1, retention: Self.week)
        #expect(recent.tier == .minute)
    }

    @Test("more points than 2000 are grouped into wider buckets; a finer plan exists down to raw")
    func grouping() {
        let plan = HistoryPlan.choose(span: 1_800, age: 1_800, sampleInterval: 0.1, retention: Self.week)
        #expect(plan.tier == .raw && plan.bucket == 1, "18000 raw samples at 100 ms are grouped per second")
        let finer = HistoryPlan(tier: .minute, bucket: 60).finer(span: 3_600, sampleInterval: 1)
        #expect(finer == HistoryPlan(tier: .tenSeconds, bucket: 10))
        #expect(HistoryPlan(tier: .raw, bucket: 0).finer(span: 60, sampleInterval: 1) == nil)
    }

    static func measurement(_ process: String, rss: UInt64, cpu: Double?, severity: SeverityGrade) -> ProcessMeasurement {
        ProcessMeasurement(process: process, program: "api", pid: 1,
                           observation: Observation(mainRSSBytes: rss, mainThreads: 2, mainFDs: Int(rss % 7), treeRSSBytes: rss * 2,
                                                    fds: 9, threads: 4, processes: 2, cpuPercent: cpu),
                           severity: severity, rssGrowthMBPerMinute: 1)
    }

    @Test("rollups: a bucket closes when a later sample arrives, with min/avg/max, worst severity and mean CPU")
    func rollups() {
        var book = RollupBook()
        var closed: [ClosedRollup] = []
        closed += book.add(SampleRound(secondsSinceEpoch: 1_000, processes: [Self.measurement("a", rss: 10, cpu: 1, severity: .graded(.low))]))
        closed += book.add(SampleRound(secondsSinceEpoch: 1_004, processes: [Self.measurement("a", rss: 30, cpu: nil, severity: .graded(.high))]))
        #expect(closed.isEmpty, "the 10 s bucket 1000–1010 is still open")
        closed += book.add(SampleRound(secondsSinceEpoch: 1_011, processes: [Self.measurement("a", rss: 20, cpu: 3, severity: .warmingUp)]))
        let ten = try? #require(closed.first { $0.tier == .tenSeconds })
        #expect(closed.count == 1 && ten?.start == 1_000)
        #expect(ten?.rollup.rssMin == 10 && ten?.rollup.rssMax == 30 && ten?.rollup.rssAverage == 20)
        #expect(ten?.rollup.cpuAverage == 1 && ten?.rollup.severityMax == SeverityGrade.graded(.high).rank)
        #expect(ten?.rollup.treeRSSAverage == 40)
    }

    @Test("an instance missing from a later round (its process gone) has its bucket closed; flush closes the rest")
    func missingAndFlush() {
        var book = RollupBook()
        _ = book.add(SampleRound(secondsSinceEpoch: 100, processes: [Self.measurement("a", rss: 1, cpu: nil, severity: .warmingUp),
                                                                      Self.measurement("b", rss: 2, cpu: nil, severity: .warmingUp)]))
        let closed = book.add(SampleRound(secondsSinceEpoch: 111, processes: [Self.measurement("a", rss: 1, cpu: nil, severity: .warmingUp)]))
        #expect(Set(closed.filter { $0.tier == .tenSeconds }.map(\.process)) == ["a", "b"])
        _ = book.flush()

        #expect(book.flush().isEmpty)
    }

    @Test("RFC 3339 parsing round-trips the formatter and honours offsets; junk is refused")
    func rfc3339() {
        for seconds in [0.0, 1_765_000_000.123, 951_782_400, 4_102_444_799.999] {
            #expect(RFC3339Text.seconds(RFC3339Text.string(secondsSinceEpoch: seconds)).map { abs($0 - seconds) < 0.0005 } == true)
        }
        #expect(RFC3339Text.seconds("2026-12-06T05:00:00+02:00") == RFC3339Text.seconds("2026-12-06T03:00:00Z"))
        #expect(RFC3339Text.seconds("2026-12-06t05:00:00z") == RFC3339Text.seconds("2026-12-06T05:00:00Z"))
        #expect(RFC3339Text.seconds("2028-02-29T00:00:00Z") != nil && RFC3339Text.seconds("2000-02-29T00:00:00Z") != nil, "leap days")
        #expect(RFC3339Text.seconds("2026-12-31T23:59:59Z") != nil && RFC3339Text.seconds("2026-06-30T00:00:00Z") != nil)
        for junk in ["", "2026-12-06", "2026-13-06T05:00:00Z", "2026-12-06T25:00:00Z", "2026-12-06T05:00:00",
                     "2026-12-06T05:00:00.Z", "2026-12-06T05:00:00+0200", "yesterday", "2026-12-06T05:00:00Zjunk",
                     "2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "1900-02-29T00:00:00Z"] {
            #expect(RFC3339Text.seconds(junk) == nil, "\(junk)")
        }
    }
}
