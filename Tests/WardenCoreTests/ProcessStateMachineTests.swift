import Testing
@testable import WardenCore

private let settings = ProcessStateMachine.Settings(
    restart: .onFailure, startSeconds: .seconds(1), startRetries: 2,
    backoff: Backoff(initial: .seconds(1), maximum: .seconds(3)), stopSignal: 15, stopTimeout: .seconds(10))

private func t(_ s: Double) -> Duration { .milliseconds(Int64(s * 1000)) }

/// A machine driven to `state` through real inputs (never by poking fields).
private func machine(in state: ProcessState, _ s: ProcessStateMachine.Settings = settings) -> ProcessStateMachine {
    let m = machineDriven(to: state, s)
    #expect(m.state == state)
    return m
}

private func transitions(_ actions: [ProcessStateMachine.Action]) -> [String] {
    actions.compactMap { if case .transition(let t) = $0 { "\(t.from.rawValue)->\(t.to.rawValue)" } else { nil } }
}

@Suite("ProcessStateMachine: start")
struct StartInputTests {
    @Test("start from STOPPED goes STARTING and spawns", arguments: [ProcessState.stopped, .exited, .fatal, .backoff])
    func startSpawns(from: ProcessState) {
        var m = machine(in: from)
        let actions = m.start(now: t(5))
        #expect(m.state == .starting)
        #expect(actions.contains(.spawn))
        #expect(m.failedStarts == 0)
    }

    @Test("start while STARTING or RUNNING is ignored", arguments: [ProcessState.starting, .running])
    func startIgnored(from: ProcessState) {
        var m = machine(in: from)
        #expect(m.start(now: t(5)).isEmpty)
        #expect(m.state == from)
    }

    @Test("start during STOPPING turns the stop into a restart")
    func startWhileStopping() {
        var m = machine(in: .stopping)
        #expect(m.start(now: t(3)).isEmpty)
        _ = m.exited(.signaled(15, coreDumped: false), now: t(3))
        let actions = m.treeGone(now: t(3))
        #expect(transitions(actions) == ["STOPPING->STOPPED", "STOPPED->STARTING"])
        #expect(actions.contains(.spawn))
    }
}

@Suite("ProcessStateMachine: spawn results")
struct SpawnResultTests {
    @Test("spawned arms the start_seconds deadline")
    func spawnedArms() {
        var m = ProcessStateMachine(settings: settings)
        _ = m.start(now: t(0))
        _ = m.spawned(now: t(0.5))
        #expect(m.deadline == t(1.5))
    }

    @Test("start_seconds = 0 goes RUNNING at spawn")
    func zeroStartSeconds() {
        var s = settings; s.startSeconds = .zero
        var m = ProcessStateMachine(settings: s)
        _ = m.start(now: t(0))
        #expect(transitions(m.spawned(now: t(0))) == ["STARTING->RUNNING"])
    }

    @Test("spawn failure counts as a failed start and backs off")
    func spawnFailure() {
        var m = ProcessStateMachine(settings: settings)
        _ = m.start(now: t(0))
        #expect(transitions(m.spawnFailed(now: t(0))) == ["STARTING->BACKOFF"])
        #expect(m.deadline == t(1))
    }

    @Test("transient spawn failures (out of fds) back off without counting: never FATAL, and the next start succeeds")
    func transientSpawnFailures() {
        var m = ProcessStateMachine(settings: settings)   // start_retries = 2, backoff 1 s
        var now = t(0)
        _ = m.start(now: now)
        for _ in 0..<10 {
            #expect(transitions(m.spawnFailed(now: now, transient: true)) == ["STARTING->BACKOFF"])
            #expect(m.deadline == now + .seconds(1))
            now = m.deadline!
            #expect(m.deadlineReached(now: now).contains(.spawn))
            #expect(m.state == .starting)
        }
        _ = m.spawned(now: now)
        #expect(m.state == .starting)
        // A real failure still counts from zero: two retries, then FATAL on the third.
        #expect(transitions(m.spawnFailed(now: now)) == ["STARTING->BACKOFF"])
    }

    @Test("spawned or spawnFailed outside STARTING is ignored", arguments: [ProcessState.stopped, .running, .backoff, .stopping, .exited, .fatal])
    func ignoredOutsideStarting(state: ProcessState) {
        var m = machine(in: state)
        #expect(m.spawned(now: t(9)).isEmpty)
        #expect(m.spawnFailed(now: t(9)).isEmpty)
        #expect(m.state == state)
    }
}

@Suite("ProcessStateMachine: exits")
struct ExitInputTests {
    @Test("exit before start_seconds moves STARTING to BACKOFF with doubling delays, then FATAL")
    func backoffThenFatal() {
        var m = ProcessStateMachine(settings: settings)   // start_retries = 2
        var now = t(0)
        _ = m.start(now: now); _ = m.spawned(now: now)
        #expect(transitions(m.exited(.exited(1), now: now)) == ["STARTING->BACKOFF"])
        #expect(m.deadline == now + .seconds(1))
        now = m.deadline!
        #expect(transitions(m.deadlineReached(now: now)) == ["BACKOFF->STARTING"])
        _ = m.spawned(now: now)
        _ = m.exited(.exited(1), now: now)
        #expect(m.state == .backoff)
        #expect(m.deadline == now + .seconds(2))
        now = m.deadline!
        _ = m.deadlineReached(now: now); _ = m.spawned(now: now)
        let last = m.exited(.exited(1), now: now)
        #expect(transitions(last) == ["STARTING->FATAL"])
        #expect(m.reason == .startRetriesExhausted)
        #expect(m.deadline == nil)
    }

    @Test("exit from RUNNING restarts at once under on-failure when the status is a failure")
    func runningFailureRestarts() {
        var m = machine(in: .running)
        let actions = m.exited(.exited(2), now: t(5))
        #expect(transitions(actions) == ["RUNNING->EXITED", "EXITED->STARTING"])
        #expect(actions.contains(.spawn))
    }

    @Test("clean exit from RUNNING under on-failure stays EXITED")
    func cleanExitStays() {
        var m = machine(in: .running)
        #expect(transitions(m.exited(.exited(0), now: t(5))) == ["RUNNING->EXITED"])
        #expect(m.lastTermination == .exited(0))
    }

    @Test("restart policy table", arguments: [
        (RestartPolicy.always, TerminationStatus.exited(0), true),
        (.always, .exited(1), true),
        (.onFailure, .exited(0), false),
        (.onFailure, .signaled(9, coreDumped: false), true),
        (.never, .exited(1), false),
        (.never, .signaled(11, coreDumped: true), false),
    ])
    func policyTable(policy: RestartPolicy, status: TerminationStatus, restarts: Bool) {
        var s = settings; s.restart = policy
        var m = machine(in: .running, s)
        let actions = m.exited(status, now: t(5))
        #expect(actions.contains(.spawn) == restarts)
        #expect(m.state == (restarts ? .starting : .exited))
    }

    @Test("exit during STOPPING waits for the tree")
    func exitWhileStopping() {
        var m = machine(in: .stopping)
        #expect(m.exited(.signaled(15, coreDumped: false), now: t(3)).isEmpty)
        #expect(m.state == .stopping)
        #expect(m.mainExited)
    }

    @Test("a late exit is tolerated", arguments: [ProcessState.stopped, .backoff, .exited, .fatal])
    func lateExit(state: ProcessState) {
        var m = machine(in: state)
        #expect(m.exited(.exited(1), now: t(9)).isEmpty)
        #expect(m.state == state)
    }
}

@Suite("ProcessStateMachine: stop")
struct StopInputTests {
    @Test("stop signals the group and arms stop_timeout", arguments: [ProcessState.starting, .running])
    func stopSignals(state: ProcessState) {
        var m = machine(in: state)
        let actions = m.stop(now: t(4))
        #expect(actions.contains(.signalGroup(15)))
        #expect(m.state == .stopping)
        #expect(m.deadline == t(14))
    }

    @Test("stop_timeout escalates to SIGKILL of the tree exactly once")
    func escalation() {
        var m = machine(in: .stopping)          // stopped at t(2), timeout 10 s
        #expect(m.deadlineReached(now: t(5)).isEmpty)    // early timer: ignored
        #expect(m.deadlineReached(now: t(12)) == [.killTree])
        #expect(m.deadlineReached(now: t(13)).isEmpty)
        _ = m.exited(.signaled(9, coreDumped: false), now: t(12.1))
        #expect(transitions(m.treeGone(now: t(12.2))) == ["STOPPING->STOPPED"])
        #expect(m.reason == .stopTimeoutKilled)
    }

    @Test("treeGone before the main exit is ignored")
    func treeGoneNeedsMainExit() {
        var m = machine(in: .stopping)
        #expect(m.treeGone(now: t(3)).isEmpty)
        #expect(m.state == .stopping)
    }

    @Test("stop in BACKOFF cancels the retry")
    func stopBackoff() {
        var m = machine(in: .backoff)
        #expect(transitions(m.stop(now: t(1))) == ["BACKOFF->STOPPED"])
        #expect(m.deadline == nil)
    }

    @Test("stop without a process is ignored", arguments: [ProcessState.stopped, .exited, .fatal])
    func stopIgnored(state: ProcessState) {
        var m = machine(in: state)
        #expect(m.stop(now: t(1)).isEmpty)
    }

    @Test("stop during a restart cancels the start that would follow")
    func stopCancelsRestart() {
        var m = machine(in: .running)
        _ = m.restart(now: t(3), reason: .memoryGrowth)
        _ = m.stop(now: t(3.5))
        _ = m.exited(.exited(0), now: t(4))
        #expect(transitions(m.treeGone(now: t(4))) == ["STOPPING->STOPPED"])
    }
}

@Suite("ProcessStateMachine: restart and deadlines")
struct RestartInputTests {
    @Test("restart is graceful: stop, then start with the reason")
    func gracefulRestart() {
        var m = machine(in: .running)
        let first = m.restart(now: t(3), reason: .memoryGrowth)
        #expect(first.contains(.signalGroup(15)))
        #expect(m.reason == .memoryGrowth)
        _ = m.exited(.signaled(15, coreDumped: false), now: t(3.2))
        let next = m.treeGone(now: t(3.3))
        #expect(transitions(next) == ["STOPPING->STOPPED", "STOPPED->STARTING"])
        #expect(m.reason == .memoryGrowth)
    }

    @Test("restart without a process starts", arguments: [ProcessState.stopped, .exited, .fatal, .backoff])
    func restartStarts(state: ProcessState) {
        var m = machine(in: state)
        #expect(m.restart(now: t(9), reason: .manual).contains(.spawn))
    }

    @Test("STARTING becomes RUNNING when start_seconds elapse and the failure count resets")
    func startSecondsElapse() {
        var m = machine(in: .backoff)
        _ = m.deadlineReached(now: t(1.5)); _ = m.spawned(now: t(1.5))
        #expect(m.failedStarts == 1)
        #expect(transitions(m.deadlineReached(now: t(2.5))) == ["STARTING->RUNNING"])
        #expect(m.failedStarts == 0)
    }

    @Test("deadlines with nothing armed are ignored", arguments: [ProcessState.stopped, .running, .exited, .fatal])
    func idleDeadline(state: ProcessState) {
        var m = machine(in: state)
        #expect(m.deadlineReached(now: t(100)).isEmpty)
        #expect(m.state == state)
    }
}

@Suite("Backoff")
struct BackoffTests {
    @Test("doubles and caps")
    func doubling() {
        let b = Backoff(initial: .milliseconds(500), maximum: .seconds(3))
        #expect((1...5).map { b.delay(afterFailures: $0) } ==
                [.milliseconds(500), .seconds(1), .seconds(2), .seconds(3), .seconds(3)])
    }
}

@Suite("ProcessStateMachine: start limit (crash loops)")
struct StartLimitTests {
    /// start_seconds = 0, restart always, 3 starts per 10 s, backoff 1 s doubling to 4 s.
    private static let looping: ProcessStateMachine.Settings = {
        var s = settings
        s.startSeconds = .zero
        s.restart = .always
        s.startLimitBurst = 3
        s.startLimitInterval = .seconds(10)
        s.backoff = Backoff(initial: .seconds(1), maximum: .seconds(4))
        return s
    }()

    /// Runs the process for `run` seconds from `now`, then reports its exit; returns the exit's actions.
    private func cycle(_ m: inout ProcessStateMachine, at now: Double, run: Double) -> [ProcessStateMachine.Action] {
        _ = m.spawned(now: t(now))
        return m.exited(.exited(1), now: t(now + run))
    }

    @Test("below the burst, exits restart at once; the burst-th quick start's exit waits in BACKOFF (restart-throttled)")
    func throttlesAtBurst() {
        var m = ProcessStateMachine(settings: Self.looping)
        _ = m.start(now: t(0))
        #expect(transitions(cycle(&m, at: 0, run: 0.1)) == ["RUNNING->EXITED", "EXITED->STARTING"])
        #expect(transitions(cycle(&m, at: 0.1, run: 0.1)) == ["RUNNING->EXITED", "EXITED->STARTING"])
        let third = cycle(&m, at: 0.2, run: 0.1)
        #expect(transitions(third) == ["RUNNING->EXITED", "EXITED->BACKOFF"])
        #expect(!third.contains(.spawn))
        #expect(m.reason == .restartThrottled && m.deadline == t(1.3) && m.throttledRestarts == 1)
        let resumed = m.deadlineReached(now: t(1.3))
        #expect(transitions(resumed) == ["BACKOFF->STARTING"] && resumed.contains(.spawn))
    }

    @Test("each throttled restart in a row doubles the delay up to backoff_max; never FATAL")
    func doublesAndNeverFatal() {
        var m = ProcessStateMachine(settings: Self.looping)
        _ = m.start(now: .zero)
        var now = Duration.zero
        var delays: [Duration] = []
        for _ in 0..<12 {
            _ = m.spawned(now: now)
            now += .milliseconds(100)
            let actions = m.exited(.exited(1), now: now)
            if m.state == .backoff, let due = m.deadline {
                delays.append(due - now)
                now = due
                _ = m.deadlineReached(now: now)
            } else {
                #expect(actions.contains(.spawn))
            }
            #expect(m.state == .starting)
        }
        #expect(delays.prefix(4) == [.seconds(1), .seconds(2), .seconds(4), .seconds(4)])
        #expect(delays.count == 10)
        #expect(m.failedStarts == 0)
    }

    @Test("a process that ran for start_limit_interval resets the doubling; one that ran long is never throttled")
    func longRunResets() {
        var m = ProcessStateMachine(settings: Self.looping)
        _ = m.start(now: t(0))
        _ = cycle(&m, at: 0, run: 0.1)
        _ = cycle(&m, at: 0.1, run: 0.1)
        _ = cycle(&m, at: 0.2, run: 0.1)       // throttled: 1 s
        _ = m.deadlineReached(now: t(1.3))
        _ = cycle(&m, at: 1.3, run: 0.1)       // throttled again: 2 s
        #expect(m.throttledRestarts == 2)
        _ = m.deadlineReached(now: t(3.4))
        // Runs 20 s: the window holds one start, and the run resets the doubling.
        let actions = cycle(&m, at: 3.4, run: 20)
        #expect(transitions(actions) == ["RUNNING->EXITED", "EXITED->STARTING"])
        #expect(m.throttledRestarts == 0)
    }

    @Test("start_limit_burst = 0 never throttles; an operator start is never throttled")
    func disabledAndOperator() {
        var s = Self.looping
        s.startLimitBurst = 0
        var m = ProcessStateMachine(settings: s)
        _ = m.start(now: t(0))
        for i in 0..<20 { #expect(cycle(&m, at: Double(i) * 0.01, run: 0.001).contains(.spawn)) }

        var limited = ProcessStateMachine(settings: Self.looping)
        _ = limited.start(now: t(0))
        for i in 0..<3 { _ = cycle(&limited, at: Double(i) * 0.1, run: 0.05) }
        #expect(limited.state == .backoff)
        #expect(limited.start(now: t(0.4)).contains(.spawn))   // `warden start` overrides the limit
        #expect(limited.state == .starting)
    }
}
