import Testing
@testable import WardenCore

private func t(_ s: Double) -> Duration { .milliseconds(Int64(s * 1000)) }

private func notifySettings(watchdog: Duration? = nil, retries: Int = 1, restart: RestartPolicy = .onFailure)
    -> ProcessStateMachine.Settings
{
    .init(restart: restart, startSeconds: .seconds(1), startRetries: retries,
          backoff: Backoff(initial: .seconds(1), maximum: .seconds(3)), stopSignal: 15, stopTimeout: .seconds(10),
          readiness: .notify, startTimeout: .seconds(5), watchdog: watchdog)
}

private func transitions(_ actions: [ProcessStateMachine.Action]) -> [String] {
    actions.compactMap { if case .transition(let t) = $0 { "\(t.from.rawValue)->\(t.to.rawValue):\(t.reason.rawValue)" } else { nil } }
}

/// A notify-readiness machine that has spawned its process (STARTING, start timeout armed at 5 s).
private func starting(_ s: ProcessStateMachine.Settings = notifySettings()) -> ProcessStateMachine {
    var m = ProcessStateMachine(settings: s)
    _ = m.start(now: t(0)); _ = m.spawned(now: t(0))
    return m
}

@Suite("ProcessStateMachine: notify readiness (ready = \"notify\")")
struct NotifyReadinessTests {
    @Test("STARTING waits for READY=1, not start_seconds")
    func waitsForReady() {
        var m = starting()
        #expect(m.deadline == t(5))
        #expect(m.deadlineReached(now: t(1)).isEmpty)   // start_seconds (1 s) is not the rule
        #expect(m.state == .starting)
        #expect(transitions(m.ready(now: t(2))) == ["STARTING->RUNNING:ready-notified"])
        #expect(m.deadline == nil)
    }

    @Test("READY=1 is ignored with start_seconds readiness and outside STARTING")
    func readyIgnored() {
        var s = notifySettings(); s.readiness = .started
        var m = ProcessStateMachine(settings: s)
        _ = m.start(now: t(0)); _ = m.spawned(now: t(0))
        #expect(m.ready(now: t(0.5)).isEmpty)
        #expect(m.state == .starting)
        var n = starting(); _ = n.ready(now: t(1))
        #expect(n.ready(now: t(2)).isEmpty)
        #expect(n.state == .running)
    }

    @Test("no READY=1 within start_timeout: stop the process, then BACKOFF, then FATAL")
    func startTimeoutFails() {
        var m = starting()
        let actions = m.deadlineReached(now: t(5))
        #expect(transitions(actions) == ["STARTING->STOPPING:start-timeout"])
        #expect(actions.contains(.signalGroup(15)))
        _ = m.exited(.signaled(15, coreDumped: false), now: t(5.1))
        #expect(transitions(m.treeGone(now: t(5.1))) == ["STOPPING->BACKOFF:start-timeout"])
        #expect(m.failedStarts == 1)
        _ = m.deadlineReached(now: t(6.1))          // backoff elapsed: second attempt
        _ = m.spawned(now: t(6.1))
        _ = m.deadlineReached(now: t(11.1))
        _ = m.exited(.signaled(15, coreDumped: false), now: t(11.2))
        #expect(transitions(m.treeGone(now: t(11.2))) == ["STOPPING->FATAL:start-retries-exhausted"])
    }

    @Test("EXTEND_TIMEOUT_USEC pushes the start timeout, never pulls it in")
    func extendStart() {
        var m = starting()
        _ = m.extendTimeout(by: .seconds(10), now: t(1))
        #expect(m.deadline == t(11))
        _ = m.extendTimeout(by: .seconds(1), now: t(2))
        #expect(m.deadline == t(11))
    }

    @Test("EXTEND_TIMEOUT_USEC pushes the stop timeout before the kill, not after")
    func extendStop() {
        var m = starting(); _ = m.ready(now: t(1)); _ = m.stop(now: t(2))
        #expect(m.deadline == t(12))
        _ = m.extendTimeout(by: .seconds(30), now: t(3))
        #expect(m.deadline == t(33))
        _ = m.deadlineReached(now: t(33))
        #expect(m.killSent)
        #expect(m.extendTimeout(by: .seconds(30), now: t(34)).isEmpty)
        #expect(m.deadline == nil)
    }
}

@Suite("ProcessStateMachine: watchdog")
struct WatchdogStateTests {
    @Test("RUNNING arms the watchdog; each ping moves it")
    func pingsMoveDeadline() {
        var m = starting(notifySettings(watchdog: .seconds(2)))
        _ = m.ready(now: t(1))
        #expect(m.deadline == t(3))
        _ = m.watchdogPing(now: t(2.5))
        #expect(m.deadline == t(4.5))
        #expect(m.deadlineReached(now: t(3)).isEmpty)   // stale timer for the old deadline
        #expect(m.state == .running)
    }

    @Test("a missed ping is a failure: stop, BACKOFF (reason watchdog), then a new start")
    func missedPingRestarts() {
        var m = starting(notifySettings(watchdog: .seconds(2)))
        _ = m.ready(now: t(1))
        let actions = m.deadlineReached(now: t(3))
        #expect(transitions(actions) == ["RUNNING->STOPPING:watchdog"])
        #expect(actions.contains(.signalGroup(15)))
        _ = m.exited(.signaled(15, coreDumped: false), now: t(3.1))
        #expect(transitions(m.treeGone(now: t(3.1))) == ["STOPPING->BACKOFF:watchdog"])
        let again = m.deadlineReached(now: t(4.1))
        #expect(transitions(again) == ["BACKOFF->STARTING:backoff-elapsed"])
        #expect(again.contains(.spawn))
    }

    @Test("a watchdog failure with restart = never ends EXITED; repeated failures end FATAL")
    func watchdogFailurePolicy() {
        var never = starting(notifySettings(watchdog: .seconds(2), restart: .never))
        _ = never.ready(now: t(1)); _ = never.watchdogTrigger(now: t(1.5))
        _ = never.exited(.signaled(15, coreDumped: false), now: t(1.6))
        #expect(transitions(never.treeGone(now: t(1.6))) == ["STOPPING->EXITED:watchdog"])

        var m = starting(notifySettings(watchdog: .seconds(2), retries: 0))
        _ = m.ready(now: t(1)); _ = m.watchdogTrigger(now: t(1.5))
        _ = m.exited(.signaled(15, coreDumped: false), now: t(1.6))
        #expect(transitions(m.treeGone(now: t(1.6))) == ["STOPPING->FATAL:start-retries-exhausted"])
    }

    @Test("WATCHDOG=trigger restarts at once; ignored without a watchdog")
    func trigger() {
        var m = starting(notifySettings(watchdog: .seconds(2)))
        _ = m.ready(now: t(1))
        #expect(transitions(m.watchdogTrigger(now: t(1.5))) == ["RUNNING->STOPPING:watchdog"])
        var n = starting(); _ = n.ready(now: t(1))
        #expect(n.watchdogTrigger(now: t(1.5)).isEmpty)
        #expect(n.watchdogPing(now: t(1.5)).isEmpty)
        #expect(n.deadline == nil)
    }

    @Test("the watchdog also applies to start_seconds readiness once RUNNING")
    func startSecondsWatchdog() {
        var s = notifySettings(watchdog: .seconds(2)); s.readiness = .started
        var m = ProcessStateMachine(settings: s)
        _ = m.start(now: t(0)); _ = m.spawned(now: t(0)); _ = m.deadlineReached(now: t(1))
        #expect(m.state == .running)
        #expect(m.deadline == t(3))
    }
}

@Suite("ProcessStateMachine: STOPPING=1 from the process")
struct SelfStoppingTests {
    @Test("RUNNING -> STOPPING without a signal; exit then follows the restart policy",
          arguments: [(RestartPolicy.always, 0, true), (.onFailure, 0, false), (.onFailure, 3, true), (.never, 3, false)])
    func selfStop(policy: RestartPolicy, code: Int32, restarts: Bool) {
        var m = starting(notifySettings(restart: policy)); _ = m.ready(now: t(1))
        let actions = m.stoppingNotified(now: t(2))
        #expect(transitions(actions) == ["RUNNING->STOPPING:stopping-notified"])
        #expect(!actions.contains(.signalGroup(15)))
        #expect(m.deadline == t(12))   // stop_timeout is armed, as systemd arms TimeoutStopSec
        _ = m.exited(.exited(code), now: t(3))
        let after = transitions(m.treeGone(now: t(3)))
        #expect(after.first == "STOPPING->EXITED:exit")
        #expect(after.contains("EXITED->STARTING:exit") == restarts)
    }

    @Test("an operator stop during a self-stop sends the stop signal and arms the kill")
    func stopEscalates() {
        var m = starting(); _ = m.ready(now: t(1)); _ = m.stoppingNotified(now: t(2))
        let actions = m.stop(now: t(4))
        #expect(actions == [.signalGroup(15)])
        #expect(m.deadline == t(14))
        _ = m.exited(.exited(0), now: t(5))
        #expect(transitions(m.treeGone(now: t(5))) == ["STOPPING->STOPPED:stopped"])
    }

    @Test("a self-announced stop that outlives stop_timeout gets SIGKILL, then the restart policy applies")
    func selfStopTimesOut() {
        var m = starting(notifySettings(restart: .always)); _ = m.ready(now: t(1)); _ = m.stoppingNotified(now: t(2))
        #expect(m.deadlineReached(now: t(12)) == [.killTree])
        _ = m.exited(.signaled(9, coreDumped: false), now: t(12.1))
        #expect(transitions(m.treeGone(now: t(12.1))) == ["STOPPING->EXITED:exit", "EXITED->STARTING:exit"])
    }

    @Test("STOPPING=1 outside RUNNING is ignored")
    func ignored() {
        var m = starting()
        #expect(m.stoppingNotified(now: t(1)).isEmpty)
        #expect(m.state == .starting)
    }
}

@Suite("Notify datagrams (sd_notify protocol)")
struct NotifyMessageTests {
    @Test func parsesAssignments() throws {
        let message = try NotifyMessage.parse(Array("READY=1\nSTATUS=Serving 3 = ok\n".utf8))
        #expect(message.value(of: "READY") == "1")
        #expect(message.value(of: "STATUS") == "Serving 3 = ok")
        #expect(NotifyCommand.commands(of: message) == [.ready, .status("Serving 3 = ok")])
    }

    @Test("MAINPID applies first; junk values are ignored")
    func commandOrder() throws {
        let message = try NotifyMessage.parse(Array("READY=1\nMAINPID=4242\nERRNO=x\nWATCHDOG=trigger\nEXTEND_TIMEOUT_USEC=500\nMAINPID=1".utf8))
        #expect(NotifyCommand.commands(of: message) == [.mainPID(4242), .ready, .watchdogTrigger, .extendTimeout(microseconds: 500)])
    }

    @Test("rejections", arguments: [
        ([UInt8](), NotifyMessage.Rejection.empty),
        (Array("\n\n".utf8), .empty),
        (Array("READY".utf8), .malformedLine(line: 1)),
        (Array("READY=1\n=x".utf8), .malformedLine(line: 2)),
        (Array("ready=1".utf8), .malformedLine(line: 1)),
        ([0x52, 0x3d, 0xff, 0xfe], .notUTF8),
        ([UInt8](repeating: 65, count: 4097), .oversized(bytes: 4097)),
    ])
    func rejects(bytes: [UInt8], expected: NotifyMessage.Rejection) {
        #expect(throws: expected) { try NotifyMessage.parse(bytes) }
    }
}
