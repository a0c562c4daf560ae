import Foundation
import Testing
@testable import WardenCore

/// Walks every state × every input of the two tables in `docs/states.md` through `ProcessStateMachine`:
/// an `ignore` cell must change nothing; any other cell must change something (an action, a deadline or
/// the stop's progress), and the machine must end in the cell's state or in a state the cell names after `→`.
@Suite("docs/states.md is the state machine")
struct StateTableTests {
    static let doc = repositoryText("docs/states.md")

    /// The table whose header row starts with `| state \ input |` and names `firstInput`: input → state → cell.
    static func table(firstInput: String) -> [String: [ProcessState: String]] {
        let lines = doc.components(separatedBy: "\n")
        guard let header = lines.firstIndex(where: { $0.hasPrefix("| state \\ input | \(firstInput) |") }) else { return [:] }
        func cells(_ line: String) -> [String] {
            Array(line.components(separatedBy: "|").dropFirst().dropLast()).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let inputs = Array(cells(lines[header]).dropFirst())
        var result: [String: [ProcessState: String]] = [:]
        for line in lines[(header + 2)...] {
            guard line.hasPrefix("| **") else { break }
            let row = cells(line)
            guard let state = ProcessState(rawValue: row[0].trimmingCharacters(in: CharacterSet(charactersIn: "*"))) else { continue }
            for (input, cell) in zip(inputs, row.dropFirst()) { result[input, default: [:]][state] = cell }
        }
        return result
    }

    static let plain = ProcessStateMachine.Settings(
        restart: .onFailure, startSeconds: .seconds(1), startRetries: 2,
        backoff: Backoff(initial: .seconds(1), maximum: .seconds(3)), stopSignal: 15, stopTimeout: .seconds(10))
    static let notify: ProcessStateMachine.Settings = {
        var s = plain
        s.readiness = .notify
        s.watchdog = .seconds(1)
        return s
    }()

    static func t(_ s: Double) -> Duration { .milliseconds(Int64(s * 1000)) }

    /// A machine driven to `state` through inputs only; STOPPING with a restart pending, so that a stop
    /// request has a restart to cancel.
    static func machine(in state: ProcessState, _ settings: ProcessStateMachine.Settings) -> ProcessStateMachine {
        var m = machineDriven(to: state, settings)
        if state == .stopping { _ = m.restart(now: t(2), reason: .configChanged) }
        return m
    }

    static func apply(_ input: String, to m: inout ProcessStateMachine) -> [ProcessStateMachine.Action] {
        let now = t(500)
        switch input {
        case "start": return m.start(now: now)
        case "spawned": return m.spawned(now: now)
        case "spawnFailed": return m.spawnFailed(now: now)
        case "exited": return m.exited(.signaled(15, coreDumped: false), now: now)
        case "stop": return m.stop(now: now)
        case "restart": return m.restart(now: now, reason: .manual)
        case "deadlineReached": return m.deadlineReached(now: t(10_000))
        case "treeGone": return m.treeGone(now: now)
        case "killNow": return m.killNow(now: now)
        case "ready": return m.ready(now: now)
        case "watchdogPing": return m.watchdogPing(now: now)
        case "watchdogTrigger": return m.watchdogTrigger(now: now)
        case "stoppingNotified": return m.stoppingNotified(now: now)
        case "extendTimeout": return m.extendTimeout(by: .seconds(100_000), now: now)
        default: Issue.record("unknown input \(input) in docs/states.md"); return []
        }
    }

    static let lifecycleInputs = ["start", "spawned", "spawnFailed", "exited", "stop", "restart", "deadlineReached",
                                  "treeGone", "killNow"]
    static let notifyInputs = ["ready", "watchdogPing", "watchdogTrigger", "stoppingNotified", "extendTimeout"]

    static func check(_ tableCells: [String: [ProcessState: String]], inputs: [String], settings: ProcessStateMachine.Settings) {
        #expect(Set(tableCells.keys) == Set(inputs), "the table's inputs")
        for input in inputs {
            for state in ProcessState.allCases {
                guard let cell = tableCells[input]?[state] else {
                    Issue.record("docs/states.md has no cell for \(state.rawValue) × \(input)")
                    continue
                }
                var m = machine(in: state, settings)
                #expect(m.state == state)
                if cell.contains("if main exited") { _ = m.exited(.signaled(15, coreDumped: false), now: t(400)) }
                let before = (m.deadline, m.stopProgress)
                let actions = apply(input, to: &m)
                let changed = !actions.isEmpty || before.0 != m.deadline || before.1 != m.stopProgress
                if cell.hasPrefix("ignore") {
                    #expect(!changed && m.state == state, "\(state.rawValue) × \(input): \(cell)")
                } else {
                    let named = ProcessState.allCases.filter { cell.contains("→ \($0.rawValue)") }
                    #expect(changed, "\(state.rawValue) × \(input) should do something: \(cell)")
                    #expect(named.contains(m.state) || m.state == state,
                            "\(state.rawValue) × \(input) ended \(m.state.rawValue): \(cell)")
                }
            }
        }
    }

    @Test("every cell of the life-cycle table")
    func lifecycleTable() {
        Self.check(Self.table(firstInput: "start"), inputs: Self.lifecycleInputs, settings: Self.plain)
    }

    @Test("every cell of the notify-protocol table")
    func notifyTable() {
        Self.check(Self.table(firstInput: "ready"), inputs: Self.notifyInputs, settings: Self.notify)
    }
}
