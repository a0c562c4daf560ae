import Testing
import WardenTestSupport
import WardenPluginProtocol
@testable import WardenCore

/// The exhaustion forecast: a suspected leak that would exhaust its pool before the sustain ends is a
/// verdict at once, with the rate and the forecast in its evidence; anything else waits out the sustain.
@Suite("Pool alerts: exhaustion forecast")
struct PoolsForecastTests {
    @Test("a leak of +5 conn/s against max 60 is a verdict at the last check before high usage, a fifth of the pool free")
    func fastLeakActsEarly() throws {
        // Checks every 2 s, the default 60 s sustain: 5 → 15 → 25 → 35 is suspected at 35 (t = 6 s); the next
        // check would find 45 (< 48, high usage): wait; at 45 the next would find 55: act.
        var run = PoolRun(sustain: .seconds(60), interval: 2)
        run.counts([5, 15, 25, 35], max: 60)
        #expect(run.verdicts.isEmpty && run.tracker.leakSeries(pool: testPool, worker: "api:0")?.suspectedSince != nil)
        run.counts([45], max: 60)
        let verdict = try #require(run.verdicts.first)
        #expect(run.verdicts.count == 1 && verdict.evidence.beforeSustain)
        let forecast = try #require(verdict.evidence.forecast)
        #expect(abs(forecast.connectionsPerSecond - 5) < 1e-9)
        #expect(forecast.exhaustedAt == 57 && forecast.used == 45)
        #expect(abs(forecast.secondsToExhaustion - 12.0 / 5) < 1e-9)
        #expect(Double(60 - forecast.used) / 60 >= 0.2, "acted with at least 20 % of the pool free")
        let alert = try #require(run.open(.connectionLeak).first)
        #expect(alert.message.contains("pool exhausted in ~3 s at +5.0 conn/s"))
        #expect(alert.message.contains("before the 60 s sustain"))
        #expect(alert.message.hasSuffix("; the pool held 45 of 60 connections"), "\(alert.message)")
    }

    @Test("a 1 conn/s leak whose checks see 0, 1 or 2 new connections is acted on before high usage: the largest rise counts, not only the mean")
    func jitteredLeakActsBeforeHighUsage() throws {
        // Pool of 57 (high usage at 46, exhaustion at 55); another worker holds 6. Checks every second see the
        // leaker's +1 conn/s as +1, +2, 0, +1 in turn. At 44 the mean rate says the next check finds 45, but
        // this streak has taken 2 in one check: act at 44, not at 46 (which would be past high usage).
        var run = PoolRun(sustain: .seconds(60), interval: 1)
        var leaker = 5
        run.check(workerSample(["api:0": leaker, "api:1": 6], max: 57))
        var step = 0
        while run.verdicts.isEmpty, leaker < 57 {
            leaker += [1, 2, 0, 1][step % 4]
            step += 1
            run.check(workerSample(["api:0": leaker, "api:1": 6], max: 57))
        }
        let verdict = try #require(run.verdicts.first)
        let used = try #require(verdict.evidence.forecast?.used)
        #expect(used == 44 && verdict.evidence.beforeSustain, "acted at \(used) of 57")
        #expect(Double(57 - used) / 57 >= 0.2)
    }

    @Test("a slow leak far from exhaustion still waits out its sustain, and its evidence carries the forecast")
    func slowLeakWaits() throws {
        var run = PoolRun(sustain: .seconds(60), interval: 10)
        run.counts([10, 12, 14, 16], max: 1000)  // +0.2 conn/s: exhaustion in over an hour
        #expect(run.verdicts.isEmpty)
        run.counts([18, 20, 22, 24, 26, 28])  // 60 s after the suspicion
        let verdict = try #require(run.verdicts.first)
        #expect(!verdict.evidence.beforeSustain)
        #expect((verdict.evidence.forecast?.secondsToExhaustion ?? 0) > 3_600)
    }

    @Test("a pool already at exhaustion with a suspected leaker is a verdict at once")
    func alreadyExhausted() throws {
        var run = PoolRun(sustain: .seconds(600), interval: 10)
        // The leaker's slow growth would not matter by itself; others fill the pool to 96 of 100.
        for (leaker, others) in [(10, 80), (11, 82), (12, 83), (13, 83)] {
            run.check(workerSample(["api:0": leaker, "api:1": others], max: 100))
        }
        let verdict = try #require(run.verdicts.first)
        #expect(verdict.worker == "api:0" && verdict.evidence.beforeSustain)
        #expect(verdict.evidence.forecast?.secondsToExhaustion == 0)
        #expect(verdict.evidence.summary.contains("pool already exhausted (96 of 100 taken)"))
    }

    @Test("no forecast acts on a single step, a plateau, a steady pool at its maximum or a burst that stays clear of exhaustion")
    func guards() {
        var step = PoolRun(sustain: .seconds(60), interval: 2)
        step.counts([5, 5, 50, 50, 50, 50], max: 60)
        var plateau = PoolRun(sustain: .seconds(60), interval: 2)
        plateau.counts([5, 10, 15, 20, 20, 20, 20, 20], max: 60)  // suspected at 20, exhaustion 15 s away, but
        // the next check would find 25 of 60: it may level off, and it does.
        var steady = PoolRun(sustain: .seconds(60), interval: 2)
        for _ in 0..<20 { steady.check(workerSample(["api:0": 60], max: 60)) }
        var burst = PoolRun(sustain: .seconds(60), interval: 2)
        burst.counts([6, 8, 10, 12, 6, 6], max: 1000)
        #expect(step.verdicts.isEmpty && steady.verdicts.isEmpty && burst.verdicts.isEmpty && plateau.verdicts.isEmpty)
    }

    @Test("while suspected and before its verdict, the worker's series holds the forecast status shows; none before, none after")
    func forecastBeforeVerdict() throws {
        var run = PoolRun(sustain: .seconds(600), interval: 10)
        run.counts([10, 11], max: 1000)
        #expect(run.tracker.forecasts(of: "api:0").isEmpty, "not suspected yet")
        run.counts([12, 13, 14], max: 1000)  // suspected: +0.1 conn/s, exhaustion (950) hours away
        let shown = try #require(run.tracker.forecasts(of: "api:0").first)
        #expect(shown.pool == testPool && run.verdicts.isEmpty)
        #expect(abs(shown.forecast.connectionsPerSecond - 0.1) < 1e-9)
        #expect(GrowthForecast.pool(shown.pool, shown.forecast).summary.hasPrefix("pool exhausted in ~2 h "))
        #expect(run.tracker.forecasts(of: "api:1").isEmpty)
        run.counts([12], max: 1000)  // a fall ends the streak (flat checks alone would not: leak_flat_checks)
        #expect(run.tracker.forecasts(of: "api:0").isEmpty)
    }

    @Test("a suspected leak that grows again opens an exhaustion-forecast warning carrying the forecast; the verdict resolves it and opens connection-leak")
    func forecastAlert() throws {
        // Checks every 2 s, max 100 (high usage 80, exhaustion 95), the default 60 s sustain, +2 conn/s.
        var run = PoolRun(sustain: .seconds(60), interval: 2)
        run.counts([10, 14, 18, 22, 26], max: 100)
        #expect(run.open(.exhaustionForecast).isEmpty, "suspected at 22, grown once since: not yet (high_usage_checks = 2)")
        #expect(!run.tracker.forecasts(of: "api:0").isEmpty, "status shows the forecast from the suspicion on")
        let grew = run.check(workerSample(["api:0": 30], max: 100))
        let alert = try #require(grew.opened.first { $0.kind == .exhaustionForecast })
        #expect(alert.severity == .warning && alert.worker == "api:0" && alert.pool == testPool)
        #expect(alert.forecast?.used == 30 && alert.forecast?.exhaustedAt == 95)
        #expect(abs((alert.forecast?.connectionsPerSecond ?? 0) - 2) < 1e-9)
        #expect(alert.message.contains("pool exhausted in ~33 s at +2.0 conn/s") && alert.message.contains("30 of 100 connections taken"), "\(alert.message)")
        var result = PoolCheckResult()
        var count = 30
        while run.verdicts.isEmpty, count < 95 {
            count += 4
            result = run.check(workerSample(["api:0": count], max: 100))
        }
        #expect(result.resolved.map(\.kind) == [.exhaustionForecast])
        #expect(result.opened.map(\.kind) == [.connectionLeak])
        #expect(count < 80, "acted before high usage")
        #expect(run.open(.exhaustionForecast).isEmpty && run.all(.exhaustionForecast).count == 1)
    }

    @Test("a burst whose ramp ends about its suspicion raises no forecast warning; one that keeps ramping does, and resolves when it falls back")
    func burstForecastAlert() {
        var stops = PoolRun(sustain: .seconds(60), interval: 1)
        stops.counts([5, 10, 15, 20, 20, 20, 20, 20, 5, 5], max: 60)
        var jittered = PoolRun(sustain: .seconds(60), interval: 1)  // the same burst, checks a little off its beat
        jittered.counts([5, 8, 13, 18, 20, 20, 20, 20, 20, 5, 5], max: 60)
        #expect(stops.all(.exhaustionForecast).isEmpty && stops.verdicts.isEmpty)
        #expect(jittered.all(.exhaustionForecast).isEmpty && jittered.verdicts.isEmpty)
        var ramps = PoolRun(sustain: .seconds(600), interval: 10)
        ramps.counts([10, 11, 12, 13, 14, 15, 15, 10], max: 1000)
        #expect(ramps.all(.exhaustionForecast).count == 1 && ramps.open(.exhaustionForecast).isEmpty && ramps.verdicts.isEmpty)
    }

    @Test("the forecast alert follows the suspicion: refreshed while it holds, resolved when the streak ends or the worker restarts")
    func forecastAlertLifetime() throws {
        var fall = PoolRun(sustain: .seconds(600), interval: 10)
        fall.counts([10, 11, 12, 13, 14, 15], max: 1000)
        let first = try #require(fall.open(.exhaustionForecast).first)
        fall.counts([16], max: 1000)
        let refreshed = try #require(fall.open(.exhaustionForecast).first)
        #expect(refreshed.startedAt == first.startedAt && refreshed.forecast?.used == 16 && refreshed.message.contains("16 of 1000 connections taken"))
        fall.counts([9], max: 1000)
        #expect(fall.open(.exhaustionForecast).isEmpty && fall.all(.exhaustionForecast).count == 1)

        var restarted = PoolRun(sustain: .seconds(600), interval: 10)
        restarted.counts([10, 11, 12, 13, 14, 15], max: 1000)
        let result = restarted.tracker.workerRestarted("api:0", at: restarted.now + 1, quietSeconds: 600)
        #expect(result.resolved.map(\.kind) == [.exhaustionForecast] && restarted.open(.exhaustionForecast).isEmpty)
    }

    @Test("no forecast alert for a steady pool, a single step, two workers' steady sum, or a pool whose size is unknown")
    func forecastAlertGuards() {
        var steady = PoolRun(sustain: .seconds(60), interval: 2)
        for _ in 0..<20 { steady.check(workerSample(["api:0": 30, "api:1": 25], max: 60)) }
        var step = PoolRun(sustain: .seconds(60), interval: 2)
        step.counts([5, 5, 50, 50, 50], max: 60)
        var unknown = PoolRun(sustain: .seconds(600), interval: 10)
        unknown.counts([10, 11, 12, 13, 14, 15], max: 0)
        #expect(steady.all(.exhaustionForecast).isEmpty && step.all(.exhaustionForecast).isEmpty)
        #expect(unknown.all(.exhaustionForecast).isEmpty && unknown.tracker.leakSeries(pool: testPool, worker: "api:0")?.suspectedSince != nil)
    }

    @Test("the forecast's words: per second from 1.0 conn/s, per minute below, and an exhausted pool against its size")
    func forecastWords() {
        let slow = ConnectionLeakForecast(connectionsPerSecond: 0.05, secondsToExhaustion: 760, exhaustedAt: 57, used: 19, max: 60)
        #expect(slow.summary == "pool exhausted in ~13 min at +3.0 conn/min")
        let almostOne = ConnectionLeakForecast(connectionsPerSecond: 0.997, secondsToExhaustion: 30, exhaustedAt: 57, used: 27, max: 60)
        #expect(almostOne.summary == "pool exhausted in ~30 s at +1.0 conn/s")
        let full = ConnectionLeakForecast(connectionsPerSecond: 4.8, secondsToExhaustion: 0, exhaustedAt: 57, used: 59, max: 60)
        #expect(full.summary == "pool already exhausted (59 of 60 taken) at +4.8 conn/s")
    }
}
