import Testing
import WardenPluginProtocol
import WardenTestSupport
@testable import WardenCore

/// Restart loops and leak verdicts as alerts (`RestartLoopDetector`, `ProcessAlertTracker`), and a
/// connection leak that recurs after each restart counted on one pool alert. Driven by inputs only.
@Suite("Process alerts: restart loops and leaks")
struct ProcessAlertTests {
    static let t0 = 1_800_000_000.0
    static let policy = RestartLoopPolicy(restarts: 5, windowSeconds: 600)

    @Test("5 restarts for one reason within the window start a loop; the 6th continues it; other reasons count apart")
    func detectorCounts() {
        var detector = RestartLoopDetector(policy: Self.policy)
        for i in 0..<4 { #expect(detector.restarted(.exit, at: Self.t0 + Double(i) * 60) == .none) }
        #expect(detector.restarted(.memoryGrowth, at: Self.t0 + 250) == .none)
        #expect(detector.restarted(.exit, at: Self.t0 + 300) == .loopStarted(.exit, count: 5))
        #expect(detector.restarted(.exit, at: Self.t0 + 310) == .loopContinues(.exit, count: 6))
        #expect(detector.looping == [.exit])
        #expect(detector.count(.memoryGrowth, at: Self.t0 + 310) == 1)
    }

    @Test("restarts spread wider than the window never loop; operator restarts never count")
    func detectorWindow() {
        var detector = RestartLoopDetector(policy: Self.policy)
        for i in 0..<20 { #expect(detector.restarted(.exit, at: Self.t0 + Double(i) * 151) == .none) }
        for i in 0..<20 { #expect(detector.restarted(.manual, at: Self.t0 + Double(i)) == .none) }
        var off = RestartLoopDetector(policy: RestartLoopPolicy(restarts: 0))
        for i in 0..<20 { #expect(off.restarted(.exit, at: Self.t0 + Double(i)) == .none) }
        #expect(off.isIdle)
    }

    @Test("a loop ends after the quiet period without a restart, not before; then it needs N restarts again")
    func detectorQuiet() {
        var detector = RestartLoopDetector(policy: RestartLoopPolicy(restarts: 2, windowSeconds: 60, quietSeconds: 30))
        _ = detector.restarted(.watchdog, at: Self.t0)
        #expect(detector.restarted(.watchdog, at: Self.t0 + 1) == .loopStarted(.watchdog, count: 2))
        #expect(detector.quietEnds(.watchdog) == Self.t0 + 31)
        #expect(detector.quiet(at: Self.t0 + 30).isEmpty)
        #expect(detector.quiet(at: Self.t0 + 31) == [.watchdog])
        #expect(detector.restarted(.watchdog, at: Self.t0 + 40) == .none)
    }

    @Test("a crash loop opens one critical restart-loop alert with count and window, counts on, resolves after the quiet period")
    func loopAlertLifecycle() throws {
        var tracker = ProcessAlertTracker()
        let policy = RestartLoopPolicy(restarts: 3, windowSeconds: 60, quietSeconds: 20)
        var actions: [ProcessAlertAction] = []
        for i in 0..<3 {
            actions = tracker.restarted(process: "crash", program: "crash", reason: .exit, cause: "exit status 1",
                                        policy: policy, at: Self.t0 + Double(i))
        }
        guard case .opened(let alert) = try #require(actions.first) else { Issue.record("not opened"); return }
        #expect(actions.count == 1)
        #expect(alert.kind == .restartLoop && alert.severity == .critical && alert.reason == .exit && alert.occurrences == 3)
        #expect(alert.message == "restart loop: 3 restarts for exit within 1m (last: exit status 1); still restarting (on_loop = \"alert\")")
        #expect(alert.record.event == .processAlert && alert.record.reason == "restart-loop" && alert.record.alertReason == "exit")
        #expect(tracker.loop(of: "crash")?.occurrences == 3)

        let more = tracker.restarted(process: "crash", program: "crash", reason: .exit, cause: "exit status 1",
                                     policy: policy, at: Self.t0 + 10)
        guard case .warn(let process, let message) = try #require(more.first) else { Issue.record("no warning"); return }
        #expect(process == "crash" && message.contains("4 restarts for exit"))
        #expect(tracker.openAlerts.count == 1 && tracker.loop(of: "crash")?.occurrences == 4)

        #expect(tracker.tick(at: Self.t0 + 29).isEmpty)
        let resolved = tracker.tick(at: Self.t0 + 30)
        guard case .resolved(let done) = try #require(resolved.first) else { Issue.record("not resolved"); return }
        #expect(done.resolvedAt == Self.t0 + 30 && done.occurrences == 4)
        #expect(done.record.event == .processAlertResolved && done.record.occurrences == 4)
        #expect(tracker.loop(of: "crash") == nil && tracker.alerts.count == 1)
    }

    @Test("on_loop = stop: the alert opens and the process is to be stopped")
    func loopStops() {
        var tracker = ProcessAlertTracker()
        let policy = RestartLoopPolicy(restarts: 2, windowSeconds: 60, stopOnLoop: true)
        _ = tracker.restarted(process: "a", program: "a", reason: .exit, cause: nil, policy: policy, at: Self.t0)
        let actions = tracker.restarted(process: "a", program: "a", reason: .exit, cause: nil, policy: policy, at: Self.t0 + 1)
        #expect(actions.count == 2)
        #expect(actions.last == .stop(process: "a", message: "restart loop: 2 restarts for exit within 1m"))
    }

    @Test("a leak loop is a restart loop too, per reason: exits and memory-growth restarts are counted apart")
    func leakLoop() {
        var tracker = ProcessAlertTracker()
        let policy = RestartLoopPolicy(restarts: 2, windowSeconds: 60)
        _ = tracker.restarted(process: "a", program: "a", reason: .exit, cause: nil, policy: policy, at: Self.t0)
        #expect(tracker.restarted(process: "a", program: "a", reason: .memoryGrowth, cause: "memory-growth 31.2 MiB/min",
                                  policy: policy, at: Self.t0 + 1).isEmpty)
        let opened = tracker.restarted(process: "a", program: "a", reason: .memoryGrowth, cause: nil, policy: policy, at: Self.t0 + 2)
        #expect(opened.count == 1)
        #expect(tracker.loop(of: "a")?.reason == .memoryGrowth)
    }

    static let evidence = WardenEvent.Evidence(rssBytes: 300 << 20, treeRSSBytes: 310 << 20, rssGrowthMBPerMin: 240,
                                               windowSeconds: 30, samples: 30)

    @Test("on_critical = alert: a critical leak alert with its evidence, refreshed while it holds, resolved when it ends")
    func reportedLeak() throws {
        var tracker = ProcessAlertTracker()
        let opened = tracker.leakVerdict(process: "leak", program: "leak", reason: .memoryGrowth, evidence: Self.evidence,
                                         message: "RSS growing 240.0 MiB/min", restarted: false, policy: Self.policy, at: Self.t0)
        guard case .opened(let alert) = try #require(opened.first) else { Issue.record("not opened"); return }
        #expect(alert.kind == .leak && alert.severity == .critical && alert.evidence?.rssGrowthMBPerMin == 240)
        #expect(tracker.hasReportedLeak("leak"))
        var later = Self.evidence
        later.rssGrowthMBPerMin = 250
        #expect(tracker.leakSampled(process: "leak", action: .memoryGrowth, critical: true, evidence: later, at: Self.t0 + 1).isEmpty)
        #expect(tracker.openAlerts.first?.evidence?.rssGrowthMBPerMin == 250)
        #expect(tracker.tick(at: Self.t0 + 100_000).isEmpty)   // no quiet period: it holds
        // The verdict's demand pauses (growth bends for a moment) while the grade stays critical: still open.
        #expect(tracker.leakSampled(process: "leak", action: nil, critical: true, evidence: later, at: Self.t0 + 1.5).isEmpty)
        #expect(tracker.hasReportedLeak("leak"))
        let resolved = tracker.leakSampled(process: "leak", action: nil, critical: false, evidence: later, at: Self.t0 + 2)
        guard case .resolved(let done) = try #require(resolved.first) else { Issue.record("not resolved"); return }
        #expect(done.resolvedAt == Self.t0 + 2 && !tracker.hasReportedLeak("leak"))
        _ = tracker.leakVerdict(process: "leak", program: "leak", reason: .rssMax, evidence: nil, message: "m",
                                restarted: false, policy: Self.policy, at: Self.t0 + 3)
        #expect(tracker.processEnded("leak", at: Self.t0 + 4).count == 1 && tracker.openAlerts.isEmpty)
    }

    @Test("leak restarts: one warning alert counts each verdict while the restarted processes keep leaking, then resolves after quiet")
    func restartedLeak() {
        var tracker = ProcessAlertTracker()
        let policy = RestartLoopPolicy(restarts: 5, windowSeconds: 600, quietSeconds: 60)
        for i in 0..<3 {
            let actions = tracker.leakVerdict(process: "a", program: "a", reason: .memoryGrowth, evidence: Self.evidence,
                                              message: "m", restarted: true, policy: policy, at: Self.t0 + Double(i) * 30)
            #expect(actions.count == (i == 0 ? 1 : 0))
            #expect(tracker.processEnded("a", at: Self.t0 + Double(i) * 30 + 1).isEmpty)   // a restart does not resolve it
        }
        #expect(tracker.openAlerts.first?.occurrences == 3 && tracker.openAlerts.first?.severity == .warning)
        #expect(tracker.tick(at: Self.t0 + 60 + 59).isEmpty)
        #expect(tracker.tick(at: Self.t0 + 60 + 60).count == 1)
    }

    @Test("a reload turning loop detection off resolves the open loop alert; new settings give it the new quiet period")
    func policyChanged() throws {
        var tracker = ProcessAlertTracker()
        let policy = RestartLoopPolicy(restarts: 2, windowSeconds: 3600, quietSeconds: 3600)
        for i in 0..<2 { _ = tracker.restarted(process: "a", program: "a", reason: .exit, cause: nil, policy: policy, at: Self.t0 + Double(i)) }
        // Shorter quiet period: the open alert resolves after it, not after the hour it opened with.
        #expect(tracker.policyChanged(process: "a", policy: RestartLoopPolicy(restarts: 2, windowSeconds: 60, quietSeconds: 10), at: Self.t0 + 2).isEmpty)
        #expect(tracker.tick(at: Self.t0 + 12).count == 1 && tracker.loop(of: "a") == nil)
        for i in 20..<22 { _ = tracker.restarted(process: "a", program: "a", reason: .exit, cause: nil, policy: policy, at: Self.t0 + Double(i)) }
        #expect(tracker.loop(of: "a") != nil)
        let off = tracker.policyChanged(process: "a", policy: RestartLoopPolicy(restarts: 0), at: Self.t0 + 30)
        guard case .resolved(let alert) = try #require(off.first) else { Issue.record("not resolved"); return }
        #expect(alert.resolvedAt == Self.t0 + 30 && tracker.openAlerts.isEmpty)
        // Counting starts afresh: one restart after detection is back on is no loop.
        _ = tracker.restarted(process: "a", program: "a", reason: .exit, cause: nil, policy: policy, at: Self.t0 + 31)
        #expect(tracker.loop(of: "a") == nil)
    }

    @Test("a reload removing the process resolves its alerts")
    func removed() {
        var tracker = ProcessAlertTracker()
        let policy = RestartLoopPolicy(restarts: 2, windowSeconds: 60)
        for i in 0..<2 { _ = tracker.restarted(process: "a", program: "a", reason: .exit, cause: nil, policy: policy, at: Self.t0 + Double(i)) }
        #expect(tracker.removed("a", at: Self.t0 + 5).count == 1 && tracker.openAlerts.isEmpty)
    }

    @Test("a connection leak found again after each restart is one open alert with occurrences, resolved after the quiet period")
    func connectionLeakRecurs() throws {
        var run = PoolRun(sustain: .seconds(20))
        run.counts([12, 22, 32, 42, 52, 62])
        #expect(run.verdicts.count == 1)
        let first = try #require(run.open(.connectionLeak).first)
        for cycle in 1...3 {
            let restarted = run.tracker.workerRestarted("api:0", at: run.now, quietSeconds: 120)
            #expect(restarted.resolved.isEmpty)
            run.counts([12, 22, 32, 42, 52, 62])
            #expect(run.verdicts.count == cycle + 1)
        }
        let alert = try #require(run.open(.connectionLeak).first)
        #expect(alert.startedAt == first.startedAt && alert.occurrences == 4 && run.all(.connectionLeak).count == 1)
        _ = run.tracker.workerRestarted("api:0", at: run.now, quietSeconds: 120)
        #expect(run.tracker.resolveQuiet(at: run.now + 119).resolved.isEmpty)
        let resolved = run.tracker.resolveQuiet(at: run.now + 120).resolved
        #expect(resolved.count == 1 && resolved.first?.occurrences == 4)
    }

    @Test("alertmanager: a restart loop is a condition until its process-alert-resolved; a leak process alert is no notification")
    func alertmanager() throws {
        var tracker = ProcessAlertTracker()
        let policy = RestartLoopPolicy(restarts: 2, windowSeconds: 60, quietSeconds: 10)
        var opened: ProcessAlert?
        for i in 0..<2 {
            for case .opened(let alert) in tracker.restarted(process: "a", program: "a", reason: .exit, cause: nil,
                                                             policy: policy, at: Self.t0 + Double(i)) { opened = alert }
        }
        let record = try #require(opened).record
        #expect(NotificationFilter().accepts(record) && Notifiable.severity(of: record) == .critical)
        var book = AlertmanagerBook(host: "h")
        let sent = book.apply(record, accepted: true, now: 0)
        #expect(sent.count == 1 && sent[0].endsAt == nil && sent[0].labels["alertname"] == "restart-loop")
        #expect(sent[0].labels["reason"] == "exit" && sent[0].labels["instance"] == "a")
        #expect(try #require(book.resendDue(now: 30)).count == 1)
        var resolvedRecord: WardenEvent?
        for case .resolved(let alert) in tracker.tick(at: Self.t0 + 11) { resolvedRecord = alert.record }
        let ended = book.apply(try #require(resolvedRecord), accepted: true, now: 40)
        #expect(ended.count == 1 && ended[0].endsAt == resolvedRecord?.time && book.activeAlerts.isEmpty)

        let leak = ProcessAlert(kind: .leak, severity: .critical, process: "a", program: "a", reason: .memoryGrowth,
                                startedAt: Self.t0, occurrences: 1, message: "m", quietSeconds: nil)
        #expect(Notifiable.severity(of: leak.record) == nil)
    }
}
