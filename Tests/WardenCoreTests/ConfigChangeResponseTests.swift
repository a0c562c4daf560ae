import Testing
import WardenCore

/// What a reload does to an instance of a changed program, by its state (supervisord's `update`).
@Suite("ConfigChangeResponse: a reload restarts what is up, leaves what is down down")
struct ConfigChangeResponseTests {
    @Test("STARTING, RUNNING, BACKOFF and a restart in progress restart; STOPPED, EXITED, FATAL and a stop stay down")
    func byState() {
        for state in [ProcessState.starting, .running, .backoff] {
            #expect(ConfigChangeResponse(state: state, restartsAfterStop: false) == .restart, "\(state)")
        }
        #expect(ConfigChangeResponse(state: .stopping, restartsAfterStop: true) == .restart)
        #expect(ConfigChangeResponse(state: .stopping, restartsAfterStop: false) == .stayDown(.stopping))
        for state in [ProcessState.stopped, .exited, .fatal] {
            #expect(ConfigChangeResponse(state: state, restartsAfterStop: false) == .stayDown(state), "\(state)")
        }
    }

    @Test("from a machine: stopped or being stopped by the operator stays down, running or restarting restarts")
    func fromMachine() {
        func running() -> ProcessStateMachine {
            var machine = ProcessStateMachine(settings: .init(
                restart: .onFailure, startSeconds: .zero, startRetries: 3,
                backoff: Backoff(initial: .seconds(1), maximum: .seconds(3)), stopSignal: 15, stopTimeout: .seconds(10)))
            _ = machine.start(now: .zero)
            _ = machine.spawned(now: .zero)
            return machine
        }
        #expect(ConfigChangeResponse(ProcessStateMachine(settings: running().settings)) == .stayDown(.stopped))
        var machine = running()
        #expect(machine.state == .running)
        #expect(ConfigChangeResponse(machine) == .restart)
        _ = machine.restart(now: .seconds(1), reason: .manual)
        #expect(machine.state == .stopping)
        #expect(ConfigChangeResponse(machine) == .restart)
        var stopping = running()
        _ = stopping.stop(now: .seconds(1))
        #expect(stopping.state == .stopping)
        #expect(ConfigChangeResponse(stopping) == .stayDown(.stopping))
    }

    @Test("the reload line's note names what stays down, and nothing when every instance restarts")
    func note() {
        #expect(ConfigChangeResponse.note([("pgleak", .stayDown(.stopped))]) == "(stopped: not started)")
        #expect(ConfigChangeResponse.note([("api:0", .stayDown(.exited)), ("api:1", .stayDown(.exited))])
                == "(exited: not started)")
        #expect(ConfigChangeResponse.note([("api:0", .restart), ("api:1", .stayDown(.exited)), ("api:2", .stayDown(.fatal))])
                == "(api:1 exited, api:2 fatal: not started)")
        #expect(ConfigChangeResponse.note([("api:0", .stayDown(.stopped)), ("api:1", .stayDown(.fatal))])
                == "(api:0 stopped, api:1 fatal: not started)")
        #expect(ConfigChangeResponse.note([("api", .restart)]) == nil)
        #expect(ConfigChangeResponse.note([]) == nil)
    }
}
