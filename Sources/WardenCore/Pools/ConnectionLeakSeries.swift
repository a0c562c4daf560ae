/// One worker's connection count in one pool, check by check, and the connection-leak rule applied to it.
///
/// ## The rule (principle: a leak never gives a connection back; it need not take one at every check)
/// A check is a *growing check* when the count rose over the previous check by at least
/// `leakGrowth × baseline` connections (and by at least one), where `baseline` is the count just before
/// the streak's first growing check and must be at least `leakMinConnections`. Growth is measured against
/// the baseline, not the previous count: a steady leak of N connections per check keeps qualifying as
/// the count rises, whereas growth relative to the previous count decays below any threshold for every
/// linear leak (12 → 22 → … → 102 is +83 % per check at first, +11 % at the end).
///
/// A check that is neither growing nor falling (flat, or a rise below the growth threshold) is a *flat
/// check*: up to `leakFlatChecks` of them in a row are tolerated inside a streak, so a leak slower than the
/// collect interval (one connection every 6 s checked every 3 s: 6 → 6 → 7 → 7 → 8) keeps its streak. They
/// neither count as growth nor end the streak; one more flat check, or any fall, ends it.
///
/// - `leakChecks` growing checks in one streak make a *suspicion*, dated at the check that completed them.
/// - A suspicion is a *verdict* at a growing check at least `sustain` after it started (at once when
///   `sustain` is zero): the leak must be seen still growing after the sustain, so a plateau, whose flat
///   checks only keep a suspicion alive, is never a verdict. The verdict opens a leak *episode* and is
///   reported once.
/// - Forecast: given the pool's `PoolRoom`, a suspicion is a verdict *before* its sustain has passed when,
///   at the streak's mean rate, the pool reaches exhaustion before the sustain would end (or already has)
///   **and** the next check could find the pool past `high_usage`: at that rate, or by the streak's largest
///   rise in one check (collect times jitter, so a steady 1 conn/s shows 0, 1 or 2 new per check). A fast leak fills a pool in
///   seconds, and waiting out a minute of sustain would let it refuse every other client first; but acting
///   at the last check that keeps the pool under `high_usage` (not at the first sight of a rate) gives a
///   warm-up that is about to level off every check it can have to show it. A pool *already* exhausted with
///   a suspected worker is a verdict at once, at a flat check too. Only a suspicion (`leakChecks` growing
///   checks) is forecast: a single step, a steady pool, and a plateau once it is flat never are.
/// - Not suspected, the pool exhausted: nothing, whatever the worker's growth. A leak fast enough to fill
///   the pool within `leakChecks` checks is flat at the cap afterwards and looks exactly like a single
///   step, which must never be restarted; the `exhaustion` alert names the biggest holders instead, and a
///   shorter collect `interval` is the cure (README, "connection leaks").
/// - The episode ends when the count falls back to the episode's baseline or below (a leak never gives
///   connections back; a restart frees them), or on `restart()`. Only then can a new verdict follow.
///
/// ## Guards this gives
/// - 1 → 2 → 3 is never a leak: the baseline must be at least `leakMinConnections`.
/// - A burst that returns to baseline: its ramp may make a suspicion, but its flat top gives no growing
///   check after the sustain, and its fall ends the streak.
/// - A steady pool, at its maximum or not, and a long active query: the count is flat, nothing grows.
/// - A plateau: flat checks keep a suspicion at most `leakFlatChecks` checks and never make a verdict.
public struct ConnectionLeakSeries: Sendable, Equatable {
    /// Most counts kept as evidence; older ones of a long streak are dropped (the baseline first).
    public static let maximumCounts = 32

    /// Count at the last check, connections; `nil` before the first check or after `restart()`.
    public private(set) var lastCount: Int?
    /// Baseline of the current streak; `nil` without a streak.
    public private(set) var baseline: Int?
    /// Counts of the current streak (baseline first while it fits).
    public private(set) var counts: [Int] = []
    /// Growth of each check of the current streak, as a fraction of `baseline`.
    public private(set) var growth: [Double] = []
    /// Growing checks of the current streak.
    public private(set) var growingChecks = 0
    /// The largest rise of one growing check in the current streak, connections.
    public private(set) var largestRise = 0
    /// Flat checks in a row since the streak's last growing check.
    public private(set) var flatChecks = 0
    /// Epoch seconds at which the streak reached `leakChecks`; `nil` without a suspicion.
    public private(set) var suspectedSince: Double?
    /// Baseline of the open leak episode; `nil` when no episode is open.
    public private(set) var episodeBaseline: Int?
    /// Epoch seconds of the last check; `nil` before the first.
    public private(set) var lastCheckAt: Double?
    /// Epoch seconds of the baseline's check (the streak's start); `nil` without a streak.
    public private(set) var baselineAt: Double?
    /// While suspected and before a verdict: where the worker's streak takes its pool (for status and the
    /// API); `nil` otherwise or when the pool's size is unknown.
    public private(set) var forecast: ConnectionLeakForecast?

    /// What one check changed.
    public enum Step: Sendable, Equatable {
        /// Nothing to report.
        case none
        /// The suspicion held for `sustain`: a new episode with this evidence.
        case verdict(ConnectionLeakEvidence)
        /// The open episode ended: the count is back at or below its baseline.
        case episodeEnded
    }

    public init() {}

    /// `true` when the series carries no information worth keeping (no count, streak or episode).
    public var isIdle: Bool {
        (lastCount ?? 0) == 0 && baseline == nil && episodeBaseline == nil
    }

    /// `true` while a leak episode is open (a verdict was reached and the count has not fallen back).
    public var inEpisode: Bool { episodeBaseline != nil }

    /// Feeds the count of one check.
    /// - Parameters:
    ///   - count: connections the worker's tree holds in the pool now (0 when absent from `by_worker`).
    ///   - now: epoch seconds of the check.
    ///   - thresholds: `leakGrowth`, `leakChecks` and `leakMinConnections` are used.
    ///   - sustainSeconds: how long a suspicion must hold for a verdict, seconds (>= 0).
    ///   - room: the pool's occupancy now, for the exhaustion forecast; `nil` when its size is unknown.
    public mutating func observe(count: Int, at now: Double, thresholds: PoolThresholds, sustainSeconds: Double,
                                 room: PoolRoom? = nil) -> Step {
        let previousCheckAt = lastCheckAt
        defer { lastCount = count; lastCheckAt = now }
        var grewNow = false
        forecast = nil
        if let previous = lastCount {
            let base = baseline ?? previous
            let rise = count - previous
            let grew = rise >= 1 && base >= thresholds.leakMinConnections && base > 0
                && Double(rise) >= thresholds.leakGrowth * Double(base) - 1e-9  // 0.1 × 30 is 3.0000000000000004
            if grew {
                if baseline == nil {
                    baseline = previous
                    baselineAt = previousCheckAt ?? now
                    counts = [previous]
                    growth = []
                }
                append(count, growth: Double(rise) / Double(base))
                growingChecks += 1
                largestRise = max(largestRise, rise)
                flatChecks = 0
                grewNow = true
                if growingChecks >= thresholds.leakChecks, suspectedSince == nil { suspectedSince = now }
            } else if baseline != nil, rise >= 0, flatChecks < thresholds.leakFlatChecks {
                append(count, growth: Double(rise) / Double(base))
                flatChecks += 1
            } else {
                endStreak()
            }
        }
        if let episode = episodeBaseline {
            if count <= episode {
                episodeBaseline = nil
                return .episodeEnded
            }
            return .none
        }
        if let since = suspectedSince, let baseline {
            let forecast = room.flatMap { exhaustionForecast(count: count, room: $0, at: now) }
            let held = grewNow && now - since >= sustainSeconds
            var early = false
            if !held, let forecast, let room {
                let interval = previousCheckAt.map { now - $0 } ?? 0
                // What the next check may find: the mean rate over one interval, or the streak's largest rise
                // in one check if larger (collect times jitter: at 1 conn/s a check may see 0 or 2 new).
                let nextCheckFinds = Double(forecast.used) + max(forecast.connectionsPerSecond * interval, Double(largestRise))
                let exhausted = room.used >= room.exhaustedAt
                early = exhausted || (grewNow && forecast.secondsToExhaustion <= sustainSeconds - (now - since)
                    && nextCheckFinds >= Double(room.highUsageAt))
            }
            guard held || early else {
                self.forecast = forecast
                return .none
            }
            episodeBaseline = baseline
            return .verdict(
                ConnectionLeakEvidence(
                    baseline: baseline, counts: counts, growthPerCheck: growth, checks: growingChecks,
                    suspectedSince: since, sustainSeconds: sustainSeconds, forecast: forecast, beforeSustain: !held))
        }
        return .none
    }

    private mutating func append(_ count: Int, growth fraction: Double) {
        counts.append(count)
        growth.append(fraction)
        if counts.count > Self.maximumCounts {
            counts.removeFirst(counts.count - Self.maximumCounts)
            growth.removeFirst(growth.count - (Self.maximumCounts - 1))
        }
    }

    /// The streak's mean rate and when it takes the pool to `room.exhaustedAt`; `nil` without a streak
    /// that has taken time and grown.
    private func exhaustionForecast(count: Int, room: PoolRoom, at now: Double) -> ConnectionLeakForecast? {
        guard let baseline, let baselineAt, now > baselineAt, count > baseline, room.exhaustedAt > 0 else { return nil }
        let rate = Double(count - baseline) / (now - baselineAt)
        return ConnectionLeakForecast(
            connectionsPerSecond: rate, secondsToExhaustion: max(0, Double(room.exhaustedAt - room.used)) / rate,
            exhaustedAt: room.exhaustedAt, used: room.used, max: room.max)
    }

    /// Forgets everything: the worker's process was replaced, so its counts start afresh and an open
    /// episode ends.
    /// - Returns: `true` when an episode was open.
    public mutating func restart() -> Bool {
        let wasInEpisode = inEpisode
        self = ConnectionLeakSeries()
        return wasInEpisode
    }

    private mutating func endStreak() {
        baseline = nil
        baselineAt = nil
        counts = []
        growth = []
        growingChecks = 0
        largestRise = 0
        flatChecks = 0
        suspectedSince = nil
    }
}
