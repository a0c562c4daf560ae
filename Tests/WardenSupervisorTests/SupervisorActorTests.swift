import Foundation
import Logging
import Synchronization
import Testing
import WardenAPI
import WardenConfig
import WardenCore
import WardenLinux
@testable import WardenSupervisor

/// A process layer without processes: "spawned" main processes get pids above the kernel's `pid_max`
/// (so no /proc read or real signal can reach anything), behave as their second argument says, and are
/// "reaped" on the stream the supervisor reads.
///   `exit:N`  exits with status N 20 ms after the spawn;
///   `term`    ends on the stop signal (SIGTERM);
///   `stubborn` ignores SIGTERM and ends only on SIGKILL.
final class FakeProcessLayer: ProcessLayer {
    private struct State {
        var nextPID: Int32 = 5_000_000
        var behaviour: [Int32: String] = [:]
        var signals: [(pid: Int32, signal: Int32, group: Bool)] = []
        var spawns = 0
        var continuation: AsyncStream<ReapedChild>.Continuation?
    }
    private let state = Mutex(State())

    func reapedChildren() -> AsyncStream<ReapedChild> {
        let (stream, continuation) = AsyncStream.makeStream(of: ReapedChild.self)
        state.withLock { $0.continuation = continuation }
        return stream
    }

    func spawn(_ request: SpawnRequest) throws -> SpawnedProcess {
        let mode = request.arguments.dropFirst().first ?? "term"
        let pid = state.withLock { s -> Int32 in
            s.nextPID += 1
            s.spawns += 1
            s.behaviour[s.nextPID] = mode
            return s.nextPID
        }
        if mode.hasPrefix("exit:"), let code = Int32(mode.dropFirst(5)) {
            Task {
                try? await Task.sleep(for: .milliseconds(20))
                self.reap(pid, .exited(code))
            }
        }
        return SpawnedProcess(pid: pid, pidfd: nil)
    }

    /// The fake processes are nobody's children: no leftover or stray is ever looked for (the test
    /// process's real children belong to other tests).
    func children() -> Set<Int32>? { [] }

    func signalGroup(_ pgid: Int32, signal: Int32) { deliver(pgid, signal, group: true) }
    func signal(_ pid: Int32, pidfd: PIDFD?, signal: Int32) { deliver(pid, signal, group: false) }

    private func deliver(_ pid: Int32, _ signal: Int32, group: Bool) {
        let mode = state.withLock { s -> String? in
            s.signals.append((pid, signal, group))
            return s.behaviour[pid]
        }
        switch (mode, signal) {
        case ("term", SIGTERM), (_, SIGKILL): reap(pid, .signaled(signal, coreDumped: false))
        default: break
        }
    }

    private func reap(_ pid: Int32, _ status: TerminationStatus) {
        let continuation = state.withLock { s -> AsyncStream<ReapedChild>.Continuation? in
            guard s.behaviour.removeValue(forKey: pid) != nil else { return nil }   // reaped once
            return s.continuation
        }
        continuation?.yield(ReapedChild(pid: pid, status: status))
    }

    var spawns: Int { state.withLock { $0.spawns } }
    var signals: [(pid: Int32, signal: Int32, group: Bool)] { state.withLock { $0.signals } }
}

/// A supervisor over `FakeProcessLayer`, its event stream, and its `run()` task.
struct Harness {
    let supervisor: Supervisor
    let layer = FakeProcessLayer()
    let events: AsyncStream<SupervisionEvent>
    let run: Task<Void, Error>
    let directory: String

    init(programs: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sup-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/warden.toml"
        try ("[supervisor]\nstate_dir = \"state\"\nsample_interval = \"50ms\"\nshutdown_timeout = \"2s\"\n" + programs)
            .write(toFile: file, atomically: true, encoding: .utf8)
        let configuration = try ConfigLoader.load(path: file)
        supervisor = try Supervisor(configuration: configuration, logger: Logger(label: "test"), processes: layer)
        events = supervisor.events.subscribe(name: "test", capacity: 10_000)
        let supervisor = self.supervisor
        run = Task { try await supervisor.run() }
    }

    /// A harness for one program `name` running `mode` (see `FakeProcessLayer`), `extra` settings added,
    /// returned once the program is RUNNING.
    static func running(_ name: String, mode: String, _ extra: String = "") async throws -> Harness {
        let h = try Harness(programs: "[programs.\(name)]\ncommand = [\"/bin/sh\", \"\(mode)\"]\nstart_seconds = \"0s\"\n\(extra)")
        _ = await transitions(h.events) { $0.last?.contains("->RUNNING") == true }
        return h
    }

    /// Stops `name` through the control API and returns its status and the transitions until STOPPED.
    func stop(_ name: String) async throws -> (status: ProcessStatus?, transitions: [String]) {
        let status = try await supervisor.stop(names: [name]).first
        return (status, await transitions(events) { $0.last?.contains("->STOPPED") == true })
    }

    /// Shuts down, waits for `run()` to return, removes the directory.
    func finish() async throws {
        await supervisor.shutdown()
        try await run.value
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// `process: OLD->NEW (reason)` for each state change, until `done` says so (or 5 s pass).
func transitions(_ events: AsyncStream<SupervisionEvent>, until done: ([String]) -> Bool) async -> [String] {
    let deadline = ContinuousClock.now + .seconds(5)
    var seen: [String] = []
    for await event in events {
        guard case .recorded(let record) = event, record.event == .stateChange,
              let from = record.oldState, let to = record.newState else { continue }
        seen.append("\(record.process ?? "-"): \(from.rawValue)->\(to.rawValue) (\(record.reason ?? "")\(record.exitStatus.map { ", \($0)" } ?? ""))")
        if done(seen) || ContinuousClock.now > deadline { break }
    }
    return seen
}

@Suite("Supervisor actor over a fake process layer", .serialized)
struct SupervisorActorTests {
    @Test("a crash is reaped and restarted at once (reason exit); the start limit then throttles it")
    func crashLoop() async throws {
        let h = try Harness(programs: """
            [programs.crash]
            command = ["/bin/sh", "exit:3"]
            restart = "always"
            start_seconds = "0s"
            start_limit_burst = 3
            """)
        let seen = await transitions(h.events) { $0.last?.contains("BACKOFF") == true }
        #expect(seen.prefix(4) == [
            "crash: STOPPED->STARTING (autostart)", "crash: STARTING->RUNNING (start-seconds-elapsed)",
            "crash: RUNNING->EXITED (exit, exit status 3)", "crash: EXITED->STARTING (exit)",
        ])
        #expect(seen.last == "crash: EXITED->BACKOFF (restart-throttled, exit status 3)")
        #expect(h.layer.spawns == 3)
        let status = try await h.supervisor.status(names: ["crash"])
        #expect(status.first?.restarts == 2 && status.first?.lastRestartReason == "exit")
        #expect(status.first?.description?.hasPrefix("exit status 3; start limit: 3 starts within 10s; next start in") == true)
        let health = await h.supervisor.health()
        #expect(health.eventSubscribers?.map(\.name) == ["events.jsonl", "test"])
        #expect(health.eventSubscribers?.allSatisfy { $0.delivered >= 6 && $0.dropped == 0 } == true)
        try await h.finish()
    }

    @Test("stop signals the group and completes when the main process is reaped")
    func stop() async throws {
        let h = try await Harness.running("svc", mode: "term")
        let (status, seen) = try await h.stop("svc")
        #expect(status?.state == .stopped)
        #expect(h.layer.signals.contains { $0.signal == SIGTERM && $0.group })
        #expect(seen == ["svc: RUNNING->STOPPING (stop-requested)", "svc: STOPPING->STOPPED (stopped)"])
        try await h.finish()
    }

    @Test("a process that ignores the stop signal is SIGKILLed after stop_timeout")
    func stopTimeout() async throws {
        let h = try await Harness.running("stubborn", mode: "stubborn", "stop_timeout = \"100ms\"")
        let started = ContinuousClock.now
        let (status, seen) = try await h.stop("stubborn")
        #expect(ContinuousClock.now - started >= .milliseconds(100))
        #expect(status?.state == .stopped)
        #expect(h.layer.signals.contains { $0.signal == SIGKILL && !$0.group })
        #expect(seen.last == "stubborn: STOPPING->STOPPED (stop-timeout-killed)")
        try await h.finish()
    }

    @Test("a missing executable makes the instance FATAL, and status and the start error say which path")
    func missingExecutable() async throws {
        let h = try Harness(programs: """
            [programs.ghost]
            command = ["/nonexistent/ghost"]
            start_retries = 0
            """)
        let seen = await transitions(h.events) { $0.last?.contains("FATAL") == true }
        #expect(seen.last == "ghost: STARTING->FATAL (start-retries-exhausted)")
        let status = try await h.supervisor.status(names: ["ghost"]).first
        #expect(status?.description?.contains("cannot find executable \"/nonexistent/ghost\"") == true)
        do {
            _ = try await h.supervisor.start(names: ["ghost"])
            Issue.record("start of a missing executable succeeded")
        } catch {
            #expect(error.message.contains("cannot find executable"))
        }
        #expect(h.layer.spawns == 0)
        try await h.finish()
    }

    @Test("shutdown stops every instance, and run() returns once every tree is gone")
    func shutdown() async throws {
        let h = try Harness(programs: """
            [programs.a]
            command = ["/bin/sh", "term"]
            numprocs = 3
            start_seconds = "0s"
            [programs.b]
            command = ["/bin/sh", "stubborn"]
            start_seconds = "0s"
            stop_timeout = "60s"
            """)
        _ = await transitions(h.events) { seen in seen.filter { $0.contains("->RUNNING") }.count == 4 }
        let started = ContinuousClock.now
        try await h.finish()   // b ignores TERM: shutdown_timeout (2 s) brings its SIGKILL forward
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(h.layer.signals.filter { $0.signal == SIGTERM && $0.group }.count == 4)
        #expect(h.layer.signals.contains { $0.signal == SIGKILL })
    }
}
