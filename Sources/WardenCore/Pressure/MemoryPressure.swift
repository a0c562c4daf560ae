/// One reading of the kernel's memory pressure stall information (PSI, `/proc/pressure/memory`):
///
///     some avg10=1.53 avg60=0.87 avg300=0.21 total=1234567
///     full avg10=0.61 avg60=0.32 avg300=0.08 total=456789
///
/// `some`: the share of wall time in which at least one task stalled on memory (reclaim, refaults, swap-in);
/// `full`: the share in which every non-idle task stalled at once — time the host did no work at all. The
/// averages are percent over 10 s, 60 s and 300 s; `total` is the stall time since boot, microseconds.
/// Parsing is pure; `PressureReader` (WardenLinux) reads the file.
public struct MemoryPressure: Sendable, Equatable {
    /// One line of the file.
    public struct Line: Sendable, Equatable {
        /// Stall share over the last 10 s, 60 s and 300 s, percent (0...100).
        public var avg10: Double
        public var avg60: Double
        public var avg300: Double
        /// Stall time since boot, microseconds.
        public var totalMicroseconds: UInt64

        public init(avg10: Double, avg60: Double, avg300: Double, totalMicroseconds: UInt64) {
            self.avg10 = avg10; self.avg60 = avg60; self.avg300 = avg300; self.totalMicroseconds = totalMicroseconds
        }
    }

    public var some: Line
    public var full: Line

    public init(some: Line, full: Line) {
        self.some = some; self.full = full
    }

    /// Parses the file's text; `nil` unless both a `some` and a `full` line with all four fields are there.
    public init?(text: String) {
        var some: Line?, full: Line?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let kind = fields.first, let parsed = Self.line(fields.dropFirst()) else { continue }
            if kind == "some" { some = parsed } else if kind == "full" { full = parsed }
        }
        guard let some, let full else { return nil }
        self.init(some: some, full: full)
    }

    private static func line(_ fields: ArraySlice<Substring>) -> Line? {
        var values: [Substring: Substring] = [:]
        for field in fields {
            guard let equals = field.firstIndex(of: "=") else { continue }
            values[field[..<equals]] = field[field.index(after: equals)...]
        }
        guard let avg10 = values["avg10"].flatMap({ Double($0) }), let avg60 = values["avg60"].flatMap({ Double($0) }),
              let avg300 = values["avg300"].flatMap({ Double($0) }), let total = values["total"].flatMap({ UInt64($0) }),
              [avg10, avg60, avg300].allSatisfy({ $0.isFinite && $0 >= 0 })
        else { return nil }
        return Line(avg10: avg10, avg60: avg60, avg300: avg300, totalMicroseconds: total)
    }
}

/// What Warden does under sustained host memory pressure (`[supervisor] memory_pressure*`).
///
/// The rule: when `full avg10` stays at or above `fullAvg10Percent` on every sampling round for `sustain`,
/// the fastest-growing worker whose memory grade is critical (final, growth current and not bending
/// towards a plateau) is restarted gracefully without waiting out its leak `sustain`. One victim per
/// episode, then `cooldown` during which nothing more is restarted for pressure. Why these defaults:
/// `docs/leak-detection.md` (Host memory pressure).
public struct MemoryPressurePolicy: Sendable, Equatable {
    /// The rule is on (`memory_pressure = "restart"`, the default) or off (`"off"`).
    public var enabled: Bool
    /// `full avg10` at or above which the host counts as stalling, percent (`memory_pressure_full`,
    /// 0 < x <= 100). Default 20.
    public var fullAvg10Percent: Double
    /// How long every round must show the stall before a victim is chosen (`memory_pressure_sustain`).
    /// Default 10 s.
    public var sustain: Duration
    /// After a victim, how long no other restart for pressure happens (`memory_pressure_cooldown`).
    /// Default 2 min.
    public var cooldown: Duration
    /// The PSI file (`memory_pressure_file`); another path serves tests. Default `/proc/pressure/memory`.
    public var file: String

    public static let defaultFile = "/proc/pressure/memory"

    public init(enabled: Bool = true, fullAvg10Percent: Double = 20, sustain: Duration = .seconds(10),
                cooldown: Duration = .seconds(120), file: String = MemoryPressurePolicy.defaultFile) {
        self.enabled = enabled; self.fullAvg10Percent = fullAvg10Percent; self.sustain = sustain
        self.cooldown = cooldown; self.file = file
    }
}

/// What a pressure restart was based on: the PSI figures at the decision and the victim's growth.
public struct MemoryPressureEvidence: Sendable, Equatable {
    /// The reading that completed the sustain.
    public var pressure: MemoryPressure
    /// How long `full avg10` had stayed at or above the threshold, seconds.
    public var stalledSeconds: Double
    /// The threshold in force, percent.
    public var thresholdPercent: Double
    /// The victim's robust RSS growth over its window, MiB per minute.
    public var rateMBPerMinute: Double

    public init(pressure: MemoryPressure, stalledSeconds: Double, thresholdPercent: Double, rateMBPerMinute: Double) {
        self.pressure = pressure; self.stalledSeconds = stalledSeconds
        self.thresholdPercent = thresholdPercent; self.rateMBPerMinute = rateMBPerMinute
    }

    /// "host memory pressure: full avg10 45.0 % (>= 20.0 %) for 10 s, some avg10 61.2 %; fastest critical
    /// grower at +900.0 MiB/min".
    public var summary: String {
        let full = LeakMessage.oneDecimal(pressure.full.avg10), some = LeakMessage.oneDecimal(pressure.some.avg10)
        return "host memory pressure: full avg10 \(full) % (>= \(LeakMessage.oneDecimal(thresholdPercent)) %) for "
            + "\(Int(stalledSeconds.rounded())) s, some avg10 \(some) %; fastest critical grower at "
            + "+\(LeakMessage.oneDecimal(rateMBPerMinute)) MiB/min"
    }

    /// The `memory_pressure` object of a `leak-restart` event's evidence.
    public var record: WardenEvent.PressureFigures {
        WardenEvent.PressureFigures(
            fullAvg10: pressure.full.avg10, fullAvg60: pressure.full.avg60, someAvg10: pressure.some.avg10,
            fullTotalMicroseconds: pressure.full.totalMicroseconds, stalledSeconds: stalledSeconds,
            thresholdPercent: thresholdPercent)
    }
}
