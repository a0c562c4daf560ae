import Testing
import WardenCore

/// Late sampling rounds: started more than one `sample_interval` after they were due.
@Suite("SamplingPunctuality: late sampling rounds")
struct SamplingPunctualityTests {
    @Test("late means more than one interval after the due time; on time and just behind are not")
    func isLate() {
        let second = Duration.seconds(1)
        #expect(!SamplingPunctuality.isLate(due: .seconds(10), started: .seconds(10), interval: second))
        #expect(!SamplingPunctuality.isLate(due: .seconds(10), started: .milliseconds(10_900), interval: second))
        #expect(!SamplingPunctuality.isLate(due: .seconds(10), started: .seconds(11), interval: second))
        #expect(SamplingPunctuality.isLate(due: .seconds(10), started: .milliseconds(11_001), interval: second))
        #expect(SamplingPunctuality.isLate(due: .seconds(10), started: .seconds(70), interval: second))
        #expect(!SamplingPunctuality.isLate(due: .seconds(10), started: .seconds(70), interval: .seconds(60)))
    }

    @Test("counts the late rounds and keeps the longest lateness, late or not")
    func counts() {
        var punctuality = SamplingPunctuality()
        let interval = Duration.milliseconds(500)
        var late = [Bool]()
        late.append(punctuality.round(due: .seconds(1), started: .milliseconds(1_005), interval: interval))
        late.append(punctuality.round(due: .seconds(2), started: .milliseconds(2_300), interval: interval))
        #expect(late == [false, false])
        #expect(punctuality.lateRounds == 0)
        #expect(abs(punctuality.maxLateSeconds - 0.3) < 1e-9)
        late.append(punctuality.round(due: .seconds(3), started: .seconds(63), interval: interval))
        late.append(punctuality.round(due: .seconds(63), started: .milliseconds(63_001), interval: interval))
        late.append(punctuality.round(due: .seconds(64), started: .seconds(66), interval: interval))
        #expect(late == [false, false, true, false, true])
        #expect(punctuality.lateRounds == 2)
        #expect(punctuality.maxLateSeconds == 60)
    }
}
