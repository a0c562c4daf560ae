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
    fileprivate struct Open: Sendable {
        var start: Double
        var rollup: ProcessRollup
    }

    /// An instance's open buckets, one per rollup tier (indexed as `tiers`), and the last round it was in.
    fileprivate struct Instance: Sendable {
        var program: String
        var lastRound: Int
        var buckets: [Open?]
    }

    /// Keyed by instance name: one hash lookup per instance per round, the buckets mutated in place (a
    /// dictionary per tier would hash each name once per tier and copy the dictionary on every write).
    private var open: [String: Instance] = [:]
    private var rounds = 0
    /// The rollup tiers (every tier but raw).
    public static let tiers = HistoryTier.allCases.filter { $0 != .raw }

    public init() {}

    public mutating func add(_ round: SampleRound) -> [ClosedRollup] {
        rounds += 1
        let current = rounds
        var closed: [ClosedRollup] = []
        let starts = Self.tiers.map { (round.secondsSinceEpoch / $0.resolution).rounded(.down) * $0.resolution }
        for m in round.processes {
            open[m.process, default: Instance(program: m.program, lastRound: 0, buckets: Array(repeating: nil, count: Self.tiers.count))]
                .add(m, round: current, starts: starts, closing: &closed)
        }
        // An instance absent from this round whose bucket has ended (its process is gone) closes too.
        guard open.count > round.processes.count else { return closed }
        var gone: [String] = []
        for (name, instance) in open where instance.lastRound != current {
            for (index, bucket) in instance.buckets.enumerated() {
                if let bucket, bucket.start < starts[index] {
                    closed.append(ClosedRollup(tier: Self.tiers[index], process: name, program: instance.program,
                                               start: bucket.start, rollup: bucket.rollup))
                }
            }
            gone.append(name)
        }
        for name in gone {
            guard var instance = open[name] else { continue }
            for index in instance.buckets.indices where instance.buckets[index].map({ $0.start < starts[index] }) == true {
                instance.buckets[index] = nil
            }
            open[name] = instance.buckets.allSatisfy { $0 == nil } ? nil : instance
        }
        return closed
    }

    /// Closes every open bucket (at shutdown, so the last partial buckets are kept).
    public mutating func flush() -> [ClosedRollup] {
        var closed: [ClosedRollup] = []
        for (name, instance) in open {
            for (index, bucket) in instance.buckets.enumerated() {
                guard let bucket else { continue }
                closed.append(ClosedRollup(tier: Self.tiers[index], process: name, program: instance.program,
                                           start: bucket.start, rollup: bucket.rollup))
            }
        }
        open = [:]
        return closed
    }
}

extension RollupBook.Instance {
    /// Folds `m` into each tier's bucket starting at `starts[tier]`; a bucket that started earlier is closed first.
    fileprivate mutating func add(_ m: ProcessMeasurement, round: Int, starts: [Double], closing closed: inout [ClosedRollup]) {
        lastRound = round
        for index in buckets.indices {
            if buckets[index]?.start == starts[index] {
                buckets[index]!.rollup.add(m)
                continue
            }
            if let previous = buckets[index] {
                closed.append(ClosedRollup(tier: RollupBook.tiers[index], process: m.process, program: program,
                                           start: previous.start, rollup: previous.rollup))
            }
            var rollup = ProcessRollup()
            rollup.add(m)
            buckets[index] = .init(start: starts[index], rollup: rollup)
        }
        program = m.program
    }
}
