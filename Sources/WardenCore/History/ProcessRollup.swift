/// The summary of one instance's samples over one bucket of a history tier: min/avg/max of the resident
/// memory, the largest fd and thread counts, the mean CPU and growth, the worst severity.
public struct ProcessRollup: Sendable, Equatable {
    public var count = 0
    public var rssMin = UInt64.max, rssMax: UInt64 = 0, rssSum = 0.0
    public var treeRSSMin = UInt64.max, treeRSSMax: UInt64 = 0, treeRSSSum = 0.0
    public var fdsMax = 0, threadsMax = 0
    public var cpuSum = 0.0, cpuCount = 0
    public var growthSum = 0.0, growthCount = 0
    /// Worst severity seen (`SeverityGrade.rank`), -1 for none.
    public var severityMax = -1

    public init() {}

    public mutating func add(_ m: ProcessMeasurement) {
        let o = m.observation
        count += 1
        rssMin = min(rssMin, o.mainRSSBytes); rssMax = max(rssMax, o.mainRSSBytes); rssSum += Double(o.mainRSSBytes)
        treeRSSMin = min(treeRSSMin, o.treeRSSBytes); treeRSSMax = max(treeRSSMax, o.treeRSSBytes)
        treeRSSSum += Double(o.treeRSSBytes)
        fdsMax = max(fdsMax, o.mainFDs ?? o.fds); threadsMax = max(threadsMax, o.mainThreads)
        if let cpu = o.cpuPercent { cpuSum += cpu; cpuCount += 1 }
        if let growth = m.rssGrowthMBPerMinute { growthSum += growth; growthCount += 1 }
        severityMax = max(severityMax, m.severity.rank)
    }

    public var rssAverage: UInt64 { count == 0 ? 0 : UInt64((rssSum / Double(count)).rounded()) }
    public var treeRSSAverage: UInt64 { count == 0 ? 0 : UInt64((treeRSSSum / Double(count)).rounded()) }
    public var cpuAverage: Double? { cpuCount == 0 ? nil : cpuSum / Double(cpuCount) }
    public var growthAverage: Double? { growthCount == 0 ? nil : growthSum / Double(growthCount) }
}

/// A bucket a `RollupBook` closed: what the history writes for `tier`.
public struct ClosedRollup: Sendable, Equatable {
    public var tier: HistoryTier
    public var process: String
    public var program: String
    /// Start of the bucket, seconds since the Unix epoch (a multiple of the tier's resolution).
    public var start: Double
    public var rollup: ProcessRollup
}

/// The open bucket of every instance in every rollup tier. `add` folds a sampling round in and returns the
/// buckets it closed (a sample in a later bucket closes the instance's previous one); `flush` closes all.
/// Pure: time comes from the rounds.
public struct RollupBook: Sendable {
    private struct Open: Sendable {
        var program: String
        var start: Double
        var rollup: ProcessRollup
    }

    private var open: [HistoryTier: [String: Open]] = [:]
    /// The rollup tiers (every tier but raw).
    public static let tiers = HistoryTier.allCases.filter { $0 != .raw }

    public init() {}

    public mutating func add(_ round: SampleRound) -> [ClosedRollup] {
        var closed: [ClosedRollup] = []
        let present = Set(round.processes.map(\.process))
        for tier in Self.tiers {
            let start = (round.secondsSinceEpoch / tier.resolution).rounded(.down) * tier.resolution
            var buckets = open[tier] ?? [:]
            for m in round.processes {
                if var bucket = buckets[m.process], bucket.start == start {
                    bucket.rollup.add(m)
                    buckets[m.process] = bucket
                    continue
                }
                if let previous = buckets[m.process] {
                    closed.append(ClosedRollup(tier: tier, process: m.process, program: previous.program,
                                               start: previous.start, rollup: previous.rollup))
                }
                var rollup = ProcessRollup()
                rollup.add(m)
                buckets[m.process] = Open(program: m.program, start: start, rollup: rollup)
            }
            // An instance absent from this round whose bucket has ended (its process is gone) closes too.
            for (name, bucket) in buckets where bucket.start < start && !present.contains(name) {
                closed.append(ClosedRollup(tier: tier, process: name, program: bucket.program, start: bucket.start,
                                           rollup: bucket.rollup))
                buckets[name] = nil
            }
            open[tier] = buckets
        }
        return closed
    }

    /// Closes every open bucket (at shutdown, so the last partial buckets are kept).
    public mutating func flush() -> [ClosedRollup] {
        var closed: [ClosedRollup] = []
        for tier in Self.tiers {
            for (name, bucket) in open[tier] ?? [:] {
                closed.append(ClosedRollup(tier: tier, process: name, program: bucket.program, start: bucket.start,
                                           rollup: bucket.rollup))
            }
        }
        open = [:]
        return closed
    }
}
