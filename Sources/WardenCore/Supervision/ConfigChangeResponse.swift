/// What a reload does to an existing instance of a program whose settings changed, decided by the instance's
/// state at the reload, as supervisord's `update` does: an instance that is up (STARTING, RUNNING, BACKOFF, or
/// STOPPING on its way to a restart) restarts with the new settings (reason `config-changed`); one the operator
/// or its exit left down (STOPPED, EXITED, FATAL, or STOPPING to stay down) stays down. Both adopt the new
/// settings, so a later `warden start` uses them. Pure.
public enum ConfigChangeResponse: Sendable, Equatable {
    /// Restart now with the new settings, reason `config-changed`.
    case restart
    /// Not started: stays down in this state (the new settings apply at its next start).
    case stayDown(ProcessState)

    /// The response for an instance in `state`; `restartsAfterStop`: during STOPPING, whether the stop is to
    /// be followed by a start (a restart in progress) rather than end STOPPED.
    public init(state: ProcessState, restartsAfterStop: Bool) {
        switch state {
        case .starting, .running, .backoff: self = .restart
        case .stopping: self = restartsAfterStop ? .restart : .stayDown(.stopping)
        case .stopped, .exited, .fatal: self = .stayDown(state)
        }
    }

    /// The response for the instance `machine` runs.
    public init(_ machine: ProcessStateMachine) {
        var restarts = false
        if case .start = machine.stopProgress?.afterStop { restarts = true }
        self.init(state: machine.state, restartsAfterStop: restarts)
    }

    /// What the reload line of a changed program adds about its instances left down, e.g. `(stopped: not
    /// started)` when every instance is STOPPED, `(api:1 exited, api:2 fatal: not started)` otherwise; `nil`
    /// when every instance restarts (or the program has none yet). `responses`: instance name and response,
    /// in instance order.
    public static func note(_ responses: [(instance: String, response: ConfigChangeResponse)]) -> String? {
        let down = responses.compactMap { entry -> (instance: String, state: ProcessState)? in
            if case .stayDown(let state) = entry.response { return (entry.instance, state) }
            return nil
        }
        guard let first = down.first else { return nil }
        if down.count == responses.count, down.allSatisfy({ $0.state == first.state }) {
            return "(\(first.state.rawValue.lowercased()): not started)"
        }
        return "(" + down.map { "\($0.instance) \($0.state.rawValue.lowercased())" }.joined(separator: ", ") + ": not started)"
    }
}
