/// Whether a login attempt from a client address may be checked at all: after `maxFailures` wrong tokens
/// within `window` seconds, the address is refused for `lockout` seconds, doubled for each further lockout
/// in a row (capped at `maxLockout`). A right token forgets the address. Pure: times (seconds since the
/// epoch) are passed in; the edge (the dashboard's `POST /login`) asks `decide`, then records the outcome.
///
/// Memory is bounded: at most `maxAddresses` addresses are remembered; when full, the one seen longest
/// ago is forgotten first.
public struct LoginThrottle: Sendable, Equatable {
    /// What to do with an attempt.
    public enum Decision: Sendable, Equatable {
        /// Check the token.
        case allow
        /// Answer 429 without checking the token; the address may try again after `retryAfter` seconds.
        case refuse(retryAfter: Double)
    }

    /// Per address: failures of the current window, and the lockout in force.
    enum Record: Sendable, Equatable {
        /// `failures` wrong tokens since `since`; `strikes` lockouts already served in a row.
        case counting(failures: Int, since: Double, strikes: Int, lastSeen: Double)
        /// Refused until `until`; the `strikes`-th lockout in a row.
        case lockedOut(until: Double, strikes: Int)

        var lastSeen: Double {
            switch self {
            case .counting(_, _, _, let lastSeen): return lastSeen
            case .lockedOut(let until, _): return until
            }
        }
    }

    public let maxFailures: Int
    public let window: Double
    public let lockout: Double
    public let maxLockout: Double
    public let maxAddresses: Int
    private(set) var records: [String: Record] = [:]

    /// - Parameters: see the type; defaults: 5 failures per 60 s, then 60 s, 120 s, … up to 15 min.
    public init(maxFailures: Int = 5, window: Double = 60, lockout: Double = 60, maxLockout: Double = 900,
                maxAddresses: Int = 4_096) {
        self.maxFailures = max(1, maxFailures); self.window = window; self.lockout = lockout
        self.maxLockout = max(lockout, maxLockout); self.maxAddresses = max(1, maxAddresses)
    }

    /// Whether an attempt from `address` at `now` may be checked.
    public func decide(_ address: String, now: Double) -> Decision {
        guard case .lockedOut(let until, _) = records[address], until > now else { return .allow }
        return .refuse(retryAfter: until - now)
    }

    /// A wrong token from `address` at `now`. Returns the decision for the next attempt (a refusal when
    /// this failure started a lockout).
    @discardableResult
    public mutating func recordFailure(_ address: String, now: Double) -> Decision {
        var strikes = 0, failures = 0, since = now
        switch records[address] {
        case .counting(let f, let s, let k, _) where now - s < window:
            failures = f; since = s; strikes = k
        case .counting(_, _, let k, let lastSeen):
            // A quiet window after the last lockout forgives the strikes.
            strikes = now - lastSeen < window ? k : 0
        case .lockedOut(let until, let k):
            if until > now { return .refuse(retryAfter: until - now) }  // not checked; not counted
            strikes = now - until < window ? k : 0
        case nil:
            makeRoom(now: now)
        }
        failures += 1
        if failures >= maxFailures {
            let seconds = min(maxLockout, lockout * Double(1 << min(strikes, 20)))
            records[address] = .lockedOut(until: now + seconds, strikes: strikes + 1)
            return .refuse(retryAfter: seconds)
        }
        records[address] = .counting(failures: failures, since: since, strikes: strikes, lastSeen: now)
        return .allow
    }

    /// A right token from `address`: its failures and strikes are forgotten.
    public mutating func recordSuccess(_ address: String) { records[address] = nil }

    /// Addresses remembered now (for tests and the bound).
    public var count: Int { records.count }

    private mutating func makeRoom(now: Double) {
        guard records.count >= maxAddresses else { return }
        records = records.filter { _, record in
            if case .lockedOut(let until, _) = record { return until > now }
            if case .counting(_, let since, _, _) = record { return now - since < window }
            return true
        }
        if records.count >= maxAddresses, let oldest = records.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
            records[oldest.key] = nil
        }
    }
}
