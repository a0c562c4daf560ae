import Testing
@testable import WardenCore

private let mib: UInt64 = 1_048_576

private func t(_ s: Double) -> Duration { .milliseconds(Int64(s * 1000)) }

private let lifecycle = ProcessStateMachine.Settings(
    restart: .always, startSeconds: .zero, startRetries: 2,
    backoff: Backoff(initial: .seconds(1), maximum: .seconds(3)), stopSignal: 15, stopTimeout: .seconds(10))

/// rss_max 100 MiB held for 2 s; a 60 s window (growth grading needs ≥ a window of samples).
private let limits = LeakDetectorConfiguration(window: .seconds(60), sustain: .seconds(2), rssMaxBytes: 100 * mib)

private func observation(rssMiB: Double) -> Observation {
    let bytes = UInt64(rssMiB * Double(mib))
    return Observation(mainRSSBytes: bytes, mainThreads: 1, mainFDs: 4, treeRSSBytes: bytes, fds: 4, threads: 1,
                       processes: 1, cpuPercent: nil)
}

/// A worker driven to RUNNING through real inputs.
private func running(_ response: WorkerStateMachine.LeakResponse = .init(),
                     detector: LeakDetectorConfiguration = limits) -> WorkerStateMachine {
    var m = WorkerStateMachine(settings: lifecycle, detector: detector, leakResponse: response)
    _ = m.start(now: t(0), reason: .autostart)
    _ = m.spawned(now: t(0))
    #expect(m.state == .running)
    return m
}

/// Feeds samples every second from `from` to `to` (inclusive) and returns every action.
private func feed(_ m: inout WorkerStateMachine, from: Int, to: Int, context: WorkerStateMachine.Context = .init(),
                  rss: (Int) -> Double) -> [WorkerStateMachine.Action] {
    var scratch = LeakScratch()
    var actions: [WorkerStateMachine.Action] = []
    for second in from...to {
        actions += m.sampled(observation(rssMiB: rss(second)), now: t(Double(second)), context: context, scratch: &scratch)
    }
    return actions
}

private func records(_ actions: [WorkerStateMachine.Action]) -> [WardenEvent] {
    actions.compactMap { if case .record(let e) = $0 { e.record(process: "w", program: "w", pid: 1, time: "") } else { nil } }
}

@Suite("WorkerStateMachine: leak-response gates")
struct LeakResponseGateTests {
    @Test("a limit held for sustain while RUNNING records leak-restart with evidence and stops the process")
    func limitRestarts() {
        var m = running()
        let actions = feed(&m, from: 1, to: 4) { _ in 150 }
        let restart = records(actions).filter { $0.event == .leakRestart }
        #expect(restart.count == 1)
        #expect(restart.first?.reason == "rss-max")
        #expect(restart.first?.evidence?.treeRSSBytes == 150 * mib)
        #expect(actions.contains(.signalGroup(15)))
        #expect(m.state == .stopping && m.lifecycle.reason == .rssMax && m.leakRestart == .rssMax)
    }

    @Test("below the limit, or not yet for sustain, nothing happens")
    func belowLimit() {
        var m = running()
        #expect(feed(&m, from: 1, to: 10) { _ in 50 }.filter { if case .record = $0 { false } else { true } }.isEmpty)
        var n = running()
        _ = feed(&n, from: 1, to: 2) { _ in 150 }
        #expect(n.state == .running)
    }

    @Test("another instance of the program restarting holds the restart back")
    func oneAtATimePerProgram() {
        var m = running()
        let actions = feed(&m, from: 1, to: 6, context: .init(programRestarting: true)) { _ in 150 }
        #expect(records(actions).allSatisfy { $0.event != .leakRestart })
        #expect(m.state == .running && m.leakRestart == nil)
        // Once the other restart is over, the next sample acts.
        _ = feed(&m, from: 7, to: 7) { _ in 150 }
        #expect(m.state == .stopping)
    }

    @Test("no restart while Warden shuts down")
    func shuttingDown() {
        var m = running()
        _ = feed(&m, from: 1, to: 6, context: .init(shuttingDown: true)) { _ in 150 }
        #expect(m.state == .running)
    }

    @Test("on_critical = alert records one leak-alert while the condition holds (grade changes included), and never restarts")
    func alertOnly() {
        var m = running(.init(restartOnCritical: false))
        let actions = feed(&m, from: 1, to: 120) { _ in 150 }
        #expect(records(actions).contains { $0.event == .severityChange })   // warming-up → none on the way
        let alerts = records(actions).filter { $0.event == .leakAlert }
        #expect(alerts.count == 1 && alerts.first?.reason == "rss-max")
        #expect(m.state == .running)
    }

    @Test("a verdict while STARTING does not restart")
    func notWhileStarting() {
        var settings = lifecycle
        settings.startSeconds = .seconds(100)
        var m = WorkerStateMachine(settings: settings, detector: limits, leakResponse: .init())
        _ = m.start(now: t(0), reason: .autostart)
        _ = m.spawned(now: t(0))
        _ = feed(&m, from: 1, to: 6) { _ in 150 }
        #expect(m.state == .starting)
    }

    @Test("a restart in progress is not restarted again; the next process is judged afresh")
    func restartInProgress() {
        var m = running()
        _ = feed(&m, from: 1, to: 4) { _ in 150 }
        #expect(m.state == .stopping)
        #expect(feed(&m, from: 5, to: 8) { _ in 150 }.isEmpty)
        _ = m.exited(.signaled(15, coreDumped: false), now: t(9))
        _ = m.treeGone(now: t(9))
        #expect(m.state == .starting)
        _ = m.spawned(now: t(9))
        #expect(m.state == .running && m.leakRestart == nil && m.restarts == 1 && m.lastRestartReason == .rssMax)
    }

    @Test("connection_leak = restart restarts a RUNNING worker once; = alert only records")
    func connectionLeak() {
        var m = running(.init(restartOnConnectionLeak: true))
        let first = m.connectionLeak(message: "pool redis: +12", now: t(1), context: .init())
        #expect(records(first).map(\.event) == [.leakRestart, .stateChange])
        #expect(m.connectionLeak(message: "again", now: t(2), context: .init()).isEmpty)
        var a = running(.init(restartOnConnectionLeak: false))
        #expect(records(a.connectionLeak(message: "x", now: t(1), context: .init())).map(\.event) == [.leakAlert])
        #expect(a.state == .running)
    }
}

@Suite("WorkerStateMachine: severity and the cleanup signal")
struct SeverityTests {
    /// A 60 s window, default thresholds (3/6/12/15 MiB/min), sustain long enough never to restart.
    let growth = LeakDetectorConfiguration(window: .seconds(60), sustain: .seconds(3600))

    @Test("linear growth of 30 MiB/min rises to critical; the cleanup signal goes once, at the first final grade ≥ high")
    func cleanupOnce() {
        var m = running(.init(cleanupSignal: .usr1), detector: growth)
        // A third of the window: a provisional critical grade, and no cleanup signal for it.
        let early = feed(&m, from: 1, to: 39) { 100 + Double($0) * 0.5 }
        #expect(m.severity == .graded(.critical) && m.provisional)
        #expect(!early.contains(.sendSignal(10)))
        #expect(records(early).filter { $0.event == .severityChange }.allSatisfy { $0.provisional == true })
        let actions = feed(&m, from: 40, to: 200) { 100 + Double($0) * 0.5 }
        #expect(m.severity == .graded(.critical) && !m.provisional)
        #expect(actions.filter { $0 == .sendSignal(10) }.count == 1)
        let changes = records(early + actions).filter { $0.event == .severityChange }
        #expect(!changes.isEmpty)
        #expect(changes.allSatisfy { $0.reason == "growth-rising" || $0.reason == "grade-confirmed" })
        #expect(changes.contains { $0.reason == "grade-confirmed" && $0.provisional == nil })
        #expect(records(actions).filter { $0.event == .cleanupSignal }.count == 1)
    }

    @Test("growth that stops grades down with reason growth-subsided, never memory-growth")
    func subsides() {
        var m = running(detector: growth)
        _ = feed(&m, from: 1, to: 200) { 100 + Double($0) * 0.5 }
        let actions = feed(&m, from: 201, to: 400) { _ in 200 }
        let down = records(actions).filter { $0.event == .severityChange }
        #expect(!down.isEmpty)
        #expect(down.allSatisfy { $0.reason == "growth-subsided" })
        #expect(m.severity < .graded(.high))
    }

    @Test("a flat process's first grade after warming up is recorded as first-grade, not growth-rising")
    func firstGrade() {
        var m = running(detector: growth)
        #expect(m.secondsToFirstGrade == 20 && m.secondsToFinalGrade == 40)
        let changes = records(feed(&m, from: 1, to: 120) { _ in 100 }).filter { $0.event == .severityChange }
        // First provisionally (a third of the 60 s window sampled), then confirmed (two thirds).
        #expect(changes.map(\.reason) == ["first-grade", "grade-confirmed"])
        #expect(changes.first?.oldSeverity == "warming-up" && changes.first?.newSeverity == "none")
        #expect(changes.first?.provisional == true && changes.last?.provisional == nil)
        #expect(changes.last?.oldSeverity == "none" && changes.last?.newSeverity == "none")
        #expect(m.secondsToFirstGrade == nil && m.secondsToFinalGrade == nil && !m.provisional)
    }

    @Test("a new process starts at warming-up, recorded as new-process (no stale critical in STARTING)")
    func newProcessResets() {
        var m = running(detector: growth)
        _ = feed(&m, from: 1, to: 200) { 100 + Double($0) * 0.5 }
        #expect(m.severity == .graded(.critical))
        _ = m.restart(now: t(201), reason: .manual)
        _ = m.exited(.signaled(15, coreDumped: false), now: t(202))
        _ = m.treeGone(now: t(202))
        #expect(m.state == .starting)
        let actions = m.spawned(now: t(202))
        #expect(m.severity == .warmingUp && m.verdict == nil && m.observation == nil)
        let reset = records(actions).first { $0.event == .severityChange }
        #expect(reset?.oldSeverity == "critical" && reset?.newSeverity == "warming-up" && reset?.reason == "new-process")
    }
}

@Suite("WorkerStateMachine: stops and bookkeeping")
struct WorkerStopTests {
    @Test("killNow escalates a stop at once (no forged time); the stop completes when the tree is gone")
    func killNowCompletes() {
        var m = running()
        _ = m.stop(now: t(1), reason: .shutdown)
        #expect(m.killNow(now: t(1.5)) == [.killTree])
        #expect(m.killNow(now: t(1.6)).isEmpty)
        #expect(m.treeGone(now: t(1.7)).isEmpty)   // the main process was not reaped yet
        _ = m.exited(.signaled(9, coreDumped: false), now: t(1.8))
        let done = records(m.treeGone(now: t(1.9)))
        #expect(done.map(\.reason) == ["stop-timeout-killed"])
        #expect(m.state == .stopped && m.stopsCompleted == 1)
    }

    @Test("killNow outside STOPPING is ignored")
    func killNowIgnored() {
        var m = running()
        #expect(m.killNow(now: t(1)).isEmpty)
        #expect(m.state == .running)
    }

    @Test("an exit from RUNNING restarts with reason exit and counts a restart; the EXITED event carries the status")
    func exitBookkeeping() {
        var m = running()
        let events = records(m.exited(.exited(3), now: t(5)))
        #expect(events.first?.exitStatus == "exit status 3" && events.first?.newState == .exited)
        #expect(m.restarts == 1 && m.lastRestartReason == .exit)
    }

    @Test("a missed watchdog records a watchdog event, and the retry after BACKOFF counts as a watchdog restart")
    func watchdogRestartReason() {
        var settings = lifecycle
        settings.watchdog = .seconds(1)
        var m = WorkerStateMachine(settings: settings, detector: limits, leakResponse: .init())
        _ = m.start(now: t(0), reason: .autostart)
        _ = m.spawned(now: t(0))
        let expired = records(m.timerFired(now: t(1)))
        #expect(expired.first?.event == .watchdog && expired.first?.reason == "missed-ping")
        _ = m.exited(.signaled(15, coreDumped: false), now: t(1.1))
        _ = m.treeGone(now: t(1.1))
        #expect(m.state == .backoff)
        _ = m.timerFired(now: t(2.1))
        #expect(m.state == .starting && m.lastRestartReason == .watchdog)
    }

    @Test("a spawn failure's cause goes with the transition it causes and stays until a process is spawned")
    func spawnFailureCause() {
        var settings = lifecycle
        settings.startRetries = 1
        var m = WorkerStateMachine(settings: settings, detector: limits, leakResponse: .init())
        _ = m.start(now: t(0), reason: .autostart)
        let first = records(m.spawnFailed(now: t(0), reason: .executableNotFound, cause: "cannot find executable \"x\""))
        #expect(first.map(\.newState) == [.backoff] && first.first?.message == "cannot find executable \"x\"")
        _ = m.timerFired(now: t(5))
        let last = records(m.spawnFailed(now: t(5), reason: .executableNotFound, cause: "cannot find executable \"x\""))
        #expect(last.first?.newState == .fatal && last.first?.reason == "start-retries-exhausted")
        #expect(last.first?.message == "cannot find executable \"x\"" && m.lastSpawnFailure != nil)
        _ = m.start(now: t(6), reason: .startRequested)
        _ = m.spawned(now: t(6))
        #expect(m.lastSpawnFailure == nil)
    }

    @Test("with notify readiness, an exit before READY=1 is a failed start, exited-before-ready")
    func exitBeforeReady() {
        var settings = lifecycle
        settings.readiness = .notify
        var m = WorkerStateMachine(settings: settings, detector: limits, leakResponse: .init())
        _ = m.start(now: t(0), reason: .autostart)
        _ = m.spawned(now: t(0))
        let events = records(m.exited(.exited(0), now: t(1)))
        #expect(events.first?.newState == .backoff && events.first?.reason == "exited-before-ready")
    }

    @Test("ERRNO= is recorded once per change; STATUS= is kept")
    func notifyData() {
        var m = running()
        #expect(records(m.notified(.errno(5), now: t(1))).map(\.reason) == ["errno"])
        #expect(m.notified(.errno(5), now: t(2)).isEmpty)
        _ = m.notified(.status("warm"), now: t(3))
        #expect(m.statusText == "warm" && m.notifyErrno == 5)
    }
}

@Suite("The cause travels with the state: restart causes, spawn failures, FATAL rows, log lines")
struct ProcessCauseTests {
    @Test("a restart after an exit names how the process ended; the STARTING record carries it as message")
    func restartAfterExit() {
        var m = running()
        _ = m.exited(.signaled(9, coreDumped: false), now: t(5))
        #expect(m.state == .starting)
        #expect(m.lastRestartReason == .exit && m.lastRestartCause == "killed by signal 9 (SIGKILL)")
        _ = m.spawned(now: t(5))
        let events = records(m.exited(.exited(1), now: t(6)))
        #expect(m.lastRestartCause == "exit status 1")
        let starting = events.first { $0.newState == .starting }
        #expect(starting?.message == "exit status 1" && starting?.restartReason == "exit")
    }

    @Test("a limit restart names the verdict and its figure")
    func restartForLimit() {
        var m = running()
        _ = feed(&m, from: 1, to: 4) { _ in 150 }
        #expect(m.state == .stopping)
        _ = m.exited(.signaled(15, coreDumped: false), now: t(4.5))
        _ = m.treeGone(now: t(4.5))
        #expect(m.lastRestartReason == .rssMax)
        #expect(m.lastRestartCause?.hasPrefix("rss-max ") == true && m.lastRestartCause?.contains(" > ") == true)
    }

    @Test("texts: termination, spawn failures, FATAL, restart, log line")
    func texts() {
        #expect(TerminationStatus.signaled(11, coreDumped: true).description == "killed by signal 11 (SIGSEGV, core dumped)")
        #expect(TerminationStatus.signaled(9, coreDumped: false).description == "killed by signal 9 (SIGKILL)")
        #expect(TerminationStatus.exited(1).description == "exit status 1")
        #expect(SpawnFailure.executableNotFoundAt(command: "./leak.py", tried: "/etc/app/leak.py").description
                == #"cannot find executable "./leak.py" (no executable file at /etc/app/leak.py)"#)
        #expect(SpawnFailure.executableNotFoundIn(command: "leakd", searched: ["/opt/w", "/usr/bin"]).description
                == #"cannot find executable "leakd" (looked in /opt/w, /usr/bin)"#)
        #expect(SpawnFailure.directoryMissing("/nonexistent/app").description == "directory /nonexistent/app does not exist")
        #expect(SpawnFailure.directoryMissing("/x").reason == .spawnFailed)
        #expect(SpawnFailure.executableNotFoundAt(command: "a/b", tried: "/a/b").reason == .executableNotFound)
        #expect(ProcessCause.fatal(spawnFailure: "directory /x does not exist", exit: nil, failedStarts: 4,
                                   reason: .startRetriesExhausted) == "directory /x does not exist; gave up after 4 failed starts")
        #expect(ProcessCause.fatal(spawnFailure: nil, exit: .exited(3), failedStarts: 1, reason: .startRetriesExhausted)
                == "exit status 3; gave up after 1 failed start")
        #expect(ProcessCause.restart(.memoryGrowth, exit: .exited(0), leakDetail: "31.2 MiB/min") == "memory-growth 31.2 MiB/min")
        #expect(ProcessCause.restart(.manual, exit: .signaled(15, coreDumped: false), leakDetail: nil) == "manual")
        let exited = ProcessStateMachine.Transition(from: .running, to: .exited, reason: .exit)
        #expect(ProcessCause.logLine(exited, exit: .exited(1), spawnFailure: nil, restartCause: nil)
                == "RUNNING -> EXITED (exit): exit status 1")
        let restarted = ProcessStateMachine.Transition(from: .exited, to: .starting, reason: .exit)
        #expect(ProcessCause.logLine(restarted, exit: nil, spawnFailure: nil, restartCause: "exit status 1")
                == "EXITED -> STARTING (exit): restart after exit status 1")
    }
}
