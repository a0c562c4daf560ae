/// Decides, once per sampling round, whether host memory pressure calls for a restart, and of which worker
/// (`MemoryPressurePolicy` states the rule). Pure: the reading, the time and the candidates come in, at most
/// one `MemoryPressureGuard.Decision` goes out; nothing is read, logged or signalled here.
public struct MemoryPressureGuard: Sendable {
    /// Where the guard stands. Per-state data lives in the case.
    public enum State: Sendable, Equatable {
        /// `memory_pressure = "off"`.
        case disabled
        /// No PSI reading: the file is absent (a kernel without PSI, a container) or unreadable.
        case unavailable
        /// PSI is read and `full avg10` is under the threshold.
        case calm
        /// `full avg10` has been at or above the threshold on every round since `since`.
        case stalling(since: Duration)
        /// `victim` was restarted for pressure at `at`; no other until `until`.
        case coolingDown(victim: String, at: Duration, until: Duration)

        /// The wire name (`/v1/health`'s `memory_pressure.state`).
        public var condition: MemoryPressureCondition {
            switch self {
            case .disabled: .disabled
            case .unavailable: .unavailable
            case .calm: .calm
            case .stalling: .stalling
            case .coolingDown: .coolingDown
            }
        }
    }

    /// A worker the guard may choose: only one whose grade is critical and whose growth is current.
    public struct Candidate: Sendable, Equatable {
        /// Instance name (`api:0`).
        public var name: String
        /// Its program (`[programs.NAME]`).
        public var program: String
        public var severity: SeverityGrade
        /// The detector's growth is current and not bending towards a plateau (`LeakVerdict.growing`).
        public var growing: Bool
        /// Robust RSS growth over the window, MiB per minute.
        public var rateMBPerMinute: Double

        public init(name: String, program: String? = nil, severity: SeverityGrade, growing: Bool, rateMBPerMinute: Double) {
            self.name = name; self.program = program ?? name; self.severity = severity; self.growing = growing; self.rateMBPerMinute = rateMBPerMinute
        }
    }

    /// Restart `victim` now, gracefully, for `evidence`.
    public struct Decision: Sendable, Equatable {
        public var victim: String
        public var evidence: MemoryPressureEvidence
    }

    public var policy: MemoryPressurePolicy {
        didSet { if !policy.enabled { state = .disabled } else if state == .disabled { state = .calm } }
    }
    public private(set) var state: State
    /// The last reading, `nil` when PSI is unavailable.
    public private(set) var last: MemoryPressure?

    public init(policy: MemoryPressurePolicy) {
        self.policy = policy
        state = policy.enabled ? .calm : .disabled
    }

    /// One sampling round: `reading` is the PSI file's content (`nil` when absent or unreadable), `now` the
    /// monotonic time, `candidates` every running worker that could be restarted, `restartingPrograms` the
    /// programs one of whose workers is being restarted for a leak now: their workers wait, so a program
    /// never loses two workers at once to restarts (its capacity drops by one at most). Returns the worker to
    /// restart, at most once per episode: the stall must hold on every round for `sustain` (a round under
    /// the threshold starts over), then the fastest-growing critical grower is chosen and `cooldown` begins.
    /// With no such worker nothing happens and the next round looks again. A new episode starts only once
    /// the cool-down has passed.
    /// `candidates` and `restartingPrograms` are only evaluated when a victim is chosen (a calm round, the
    /// common case, never builds them).
    public mutating func observe(_ reading: MemoryPressure?, now: Duration, candidates: @autoclosure () -> [Candidate],
                                 restartingPrograms: @autoclosure () -> Set<String> = []) -> Decision? {
        guard policy.enabled else {
            state = .disabled
            return nil
        }
        last = reading
        if case .coolingDown(_, _, let until) = state, now < until { return nil }
        guard let reading else {
            state = .unavailable
            return nil
        }
        guard reading.full.avg10 >= policy.fullAvg10Percent else {
            state = .calm
            return nil
        }
        guard case .stalling(let since) = state else {
            state = .stalling(since: now)
            return policy.sustain <= .zero
                ? observe(reading, now: now, candidates: candidates(), restartingPrograms: restartingPrograms()) : nil
        }
        guard now - since >= policy.sustain else { return nil }
        let restarting = restartingPrograms()
        let eligible = candidates().filter {
            $0.severity == .graded(.critical) && $0.growing && $0.rateMBPerMinute > 0 && !restarting.contains($0.program)
        }
        guard let victim = eligible.max(by: { ($0.rateMBPerMinute, $1.name) < ($1.rateMBPerMinute, $0.name) }) else { return nil }
        state = .coolingDown(victim: victim.name, at: now, until: now + policy.cooldown)
        return Decision(victim: victim.name, evidence: MemoryPressureEvidence(
            pressure: reading, stalledSeconds: (now - since).seconds, thresholdPercent: policy.fullAvg10Percent,
            rateMBPerMinute: victim.rateMBPerMinute))
    }
}

/// The states of `MemoryPressureGuard` as `/v1/health` names them: one name table.
public enum MemoryPressureCondition: String, Codable, Sendable, CaseIterable {
    /// `memory_pressure = "off"`.
    case disabled
    /// No PSI on this host (or the file cannot be read): the rule does nothing.
    case unavailable
    /// Under the threshold.
    case calm
    /// At or above the threshold, not yet for `memory_pressure_sustain`.
    case stalling
    /// A worker was restarted for pressure; the cool-down runs.
    case coolingDown = "cooling-down"
}
