/// Counts one process's restarts per reason over a sliding window and says when they make a loop.
///
/// Pure: time is passed in (seconds, any monotonic-enough origin; the tracker passes wall-clock epoch
/// seconds). Only restarts Warden decides by itself count (`TransitionReason.countsTowardRestartLoop`):
/// an exit, a leak or limit verdict, a watchdog; an operator's restart or a reload never does.
public struct RestartLoopDetector: Sendable, Equatable {
    /// What one restart meant.
    public enum Step: Sendable, Equatable {
        /// No loop (or the reason does not count, or detection is off).
        case none
        /// This restart made `count` restarts for `reason` within the window: a loop starts.
        case loopStarted(TransitionReason, count: Int)
        /// The loop for `reason` goes on; `count` restarts since it was first counted.
        case loopContinues(TransitionReason, count: Int)
    }

    public var policy: RestartLoopPolicy
    /// Restart times within the window, per reason, oldest first.
    private var recent: [TransitionReason: [Double]] = [:]
    /// Loops in progress: restarts counted since the loop's first counted restart, and the last one's time.
    private var loops: [TransitionReason: Loop] = [:]

    private struct Loop: Sendable, Equatable {
        var count: Int
        var last: Double
    }

    public init(policy: RestartLoopPolicy) { self.policy = policy }

    /// Whether nothing is remembered (the detector can be dropped).
    public var isIdle: Bool { recent.isEmpty && loops.isEmpty }

    /// Reasons looping now.
    public var looping: [TransitionReason] { loops.keys.sorted { $0.rawValue < $1.rawValue } }

    /// Restarts for `reason` within the window ending at `now`.
    public func count(_ reason: TransitionReason, at now: Double) -> Int {
        (recent[reason] ?? []).filter { $0 > now - policy.windowSeconds }.count
    }

    /// The process was restarted for `reason` at `now`.
    public mutating func restarted(_ reason: TransitionReason, at now: Double) -> Step {
        guard policy.restarts > 0, reason.countsTowardRestartLoop else { return .none }
        if var loop = loops[reason] {
            loop.count += 1
            loop.last = now
            loops[reason] = loop
            recent[reason] = nil
            return .loopContinues(reason, count: loop.count)
        }
        var times = (recent[reason] ?? []).filter { $0 > now - policy.windowSeconds }
        times.append(now)
        guard times.count >= policy.restarts else { recent[reason] = times; return .none }
        recent[reason] = nil
        loops[reason] = Loop(count: times.count, last: now)
        return .loopStarted(reason, count: times.count)
    }

    /// Ends the loops with no restart for `policy.quietSeconds` before `now` (and forgets restarts that
    /// left the window). - Returns: the reasons whose loop ended.
    public mutating func quiet(at now: Double) -> [TransitionReason] {
        let ended = loops.filter { now - $0.value.last >= policy.quietSeconds }.keys.sorted { $0.rawValue < $1.rawValue }
        for reason in ended { loops[reason] = nil }
        for (reason, times) in recent {
            let kept = times.filter { $0 > now - policy.windowSeconds }
            recent[reason] = kept.isEmpty ? nil : kept
        }
        return ended
    }

    /// When the loop for `reason` ends if no restart comes first, or `nil` when it is not looping.
    public func quietEnds(_ reason: TransitionReason) -> Double? {
        loops[reason].map { $0.last + policy.quietSeconds }
    }
}

extension TransitionReason {
    /// Whether a restart for this reason is Warden's own decision, and so counts toward a restart loop: an
    /// exit (and the retries after it), a leak or limit verdict, a watchdog, an unresponsive plugin.
    public var countsTowardRestartLoop: Bool {
        switch self {
        case .exit, .memoryGrowth, .rssMax, .fdsMax, .threadsMax, .connectionLeak, .watchdog, .pluginUnresponsive: true
        default: false
        }
    }
}
