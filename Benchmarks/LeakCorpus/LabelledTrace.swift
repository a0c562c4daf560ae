public import Foundation
public import WardenCore

/// One labelled RSS trace of the product owner's corpus (`shared/leak-traces/*.json`): samples every
/// `interval` seconds in MiB, labelled `leak` or `no-leak`, with the true leak rate and start for leaks.
public struct LabelledTrace: Decodable, Sendable {
    public var name: String
    public var interval: Double
    public var rssMegabytes: [Double]
    public var label: String
    /// MB/min for a leak, `nil` otherwise.
    public var leakRate: Double?
    /// Seconds from the start at which the leak begins (0 when absent).
    public var leakStart: Double?

    enum CodingKeys: String, CodingKey {
        case name, label
        case interval = "interval_s"
        case rssMegabytes = "rss_mb"
        case leakRate = "leak_rate_mb_per_min"
        case leakStart = "leak_start_s"
    }

    public var isLeak: Bool { label == "leak" }

    /// The series as `(time s, MB)` points, the form `LeakDetector.run` takes.
    public var series: [(time: Double, mb: Double)] {
        rssMegabytes.enumerated().map { (Double($0.offset) * interval, $0.element) }
    }

    /// Every `*.json` trace in `directory`, by file name; empty when the directory does not exist.
    /// Throws when a file is not a valid trace.
    public static func load(from directory: URL) throws -> [LabelledTrace] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return try files.filter { $0.hasSuffix(".json") }.sorted().map {
            try JSONDecoder().decode(LabelledTrace.self, from: Data(contentsOf: directory.appendingPathComponent($0)))
        }
    }
}

/// What the product promises for one series under a configuration, and whether a run kept it: a leak at or
/// above `critical` is restarted within `window + sustain` of its start; a leak on the threshold is graded
/// at least `high`; a sub-critical leak is graded but never restarted, and one below `low` graded `none` (at most `low`, rarely); anything else is never restarted.
public struct LeakExpectation: Sendable {
    public enum Kind: Sendable, Equatable {
        case restart
        case gradedHigh
        case gradedBelowCritical
        case ungraded
        case leftAlone
    }

    public var kind: Kind
    /// Start of the leak, seconds (0 for non-leaks).
    public var start: Double

    /// `leakRate` in MB/min of `thresholds` (`nil` for a non-leak).
    public init(leakRate: Double?, start: Double, thresholds: LeakThresholds) {
        self.start = start
        switch leakRate {
        case .none: kind = .leftAlone
        case .some(let rate) where rate == thresholds.critical: kind = .gradedHigh
        case .some(let rate) where rate > thresholds.critical: kind = .restart
        case .some(let rate) where rate < thresholds.low: kind = .ungraded
        case .some: kind = .gradedBelowCritical
        }
    }

    /// `nil` when `run` keeps the promise, otherwise what went wrong.
    public func failure(of run: LeakRun, configuration: LeakDetectorConfiguration) -> String? {
        let deadline = configuration.window.seconds + configuration.sustain.seconds
        let grades = run.severities(after: start + configuration.window.seconds)
        switch kind {
        case .restart:
            guard let action = run.firstAction, action.reason == .memoryGrowth else { return "not restarted" }
            return action.time - start <= deadline ? nil : "restarted late, at \(action.time) s"
        case .gradedHigh:
            return !grades.isEmpty && grades.allSatisfy({ $0 >= .high }) ? nil : "not graded high throughout"
        case .gradedBelowCritical:
            if let action = run.firstAction { return "restarted at \(action.time) s" }
            // Allow the neighbouring grade for noise; never none once the window is full.
            return !grades.isEmpty && grades.allSatisfy({ $0 >= .low && $0 < .critical }) ? nil : "grades \(Set(grades))"
        case .ungraded:
            if let action = run.firstAction { return "restarted at \(action.time) s" }
            // No higher than its rate: never medium, and mostly none (noise may touch low).
            let none = grades.filter { $0 == .none }.count
            let ok = grades.allSatisfy({ $0 <= .low }) && Double(none) >= 0.75 * Double(grades.count)
            return ok ? nil : "graded \(grades.count - none) of \(grades.count) times"
        case .leftAlone:
            return run.firstAction.map { "restarted at \($0.time) s" }
        }
    }
}
