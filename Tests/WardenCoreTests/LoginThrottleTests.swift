import Testing
@testable import WardenCore

@Suite("LoginThrottle: failed dashboard logins per client address")
struct LoginThrottleTests {
    @Test("five wrong tokens within a minute lock the address out for 60 s; other addresses are not affected")
    func lockout() {
        var throttle = LoginThrottle()
        for second in 0..<4 {
            do { let decision = throttle.recordFailure("10.0.0.1", now: Double(second)); #expect(decision == .allow) }
            #expect(throttle.decide("10.0.0.1", now: Double(second)) == .allow)
        }
        do { let decision = throttle.recordFailure("10.0.0.1", now: 4); #expect(decision == .refuse(retryAfter: 60)) }
        #expect(throttle.decide("10.0.0.1", now: 34) == .refuse(retryAfter: 30))
        #expect(throttle.decide("10.0.0.2", now: 34) == .allow)
        #expect(throttle.decide("10.0.0.1", now: 64) == .allow)
    }

    @Test("failures spread wider than the window never lock out")
    func slowFailures() {
        var throttle = LoginThrottle()
        for attempt in 0..<20 {
            do { let decision = throttle.recordFailure("a", now: Double(attempt) * 61); #expect(decision == .allow) }
        }
        #expect(throttle.decide("a", now: 20 * 61) == .allow)
    }

    @Test("a lockout in a row doubles, up to 15 min; a quiet minute after one forgives the strikes")
    func doubling() {
        var throttle = LoginThrottle()
        var now = 0.0
        var lockouts: [Double] = []
        for _ in 0..<6 {
            var decision = LoginThrottle.Decision.allow
            for _ in 0..<5 { decision = throttle.recordFailure("a", now: now); now += 0.1 }
            guard case .refuse(let seconds) = decision else { Issue.record("no lockout: \(decision)"); return }
            lockouts.append(seconds)
            now += seconds  // the next burst starts right after the lockout ends
        }
        #expect(lockouts == [60, 120, 240, 480, 900, 900])
        now += 61
        for _ in 0..<4 { do { let decision = throttle.recordFailure("a", now: now); #expect(decision == .allow) } }
        do { let decision = throttle.recordFailure("a", now: now); #expect(decision == .refuse(retryAfter: 60)) }
    }

    @Test("attempts during a lockout are neither checked nor counted; a right token forgets the address")
    func duringLockoutAndSuccess() {
        var throttle = LoginThrottle(maxFailures: 2, window: 10, lockout: 5)
        throttle.recordFailure("a", now: 0)
        do { let decision = throttle.recordFailure("a", now: 1); #expect(decision == .refuse(retryAfter: 5)) }
        do { let decision = throttle.recordFailure("a", now: 2); #expect(decision == .refuse(retryAfter: 4)) }
        #expect(throttle.decide("a", now: 6) == .allow)
        throttle.recordFailure("a", now: 6)
        throttle.recordSuccess("a")
        #expect(throttle.count == 0)
        do { let decision = throttle.recordFailure("a", now: 7); #expect(decision == .allow) }
    }

    @Test("at most maxAddresses are remembered: the one seen longest ago is forgotten, a lockout in force is kept")
    func bounded() {
        var throttle = LoginThrottle(maxFailures: 3, window: 1_000, lockout: 1_000, maxAddresses: 3)
        for (index, address) in ["a", "b", "c", "d"].enumerated() { throttle.recordFailure(address, now: Double(index)) }
        #expect(throttle.count == 3)
        // "a" was forgotten: it needs three fresh failures for a lockout, not two.
        do { let decision = throttle.recordFailure("a", now: 10); #expect(decision == .allow) }
        do { let decision = throttle.recordFailure("a", now: 11); #expect(decision == .allow) }
        do { let decision = throttle.recordFailure("a", now: 12); #expect(decision == .refuse(retryAfter: 1_000)) }
        // The locked-out "a" outlives newer addresses that only counted failures.
        for (index, address) in ["e", "f", "g"].enumerated() { throttle.recordFailure(address, now: 20 + Double(index)) }
        #expect(throttle.count == 3)
        #expect(throttle.decide("a", now: 500) == .refuse(retryAfter: 512))
    }
}
