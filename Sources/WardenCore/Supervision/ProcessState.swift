/// The user-visible state of one supervised process, spelled as supervisord spells it
/// (STOPPED, STARTING, RUNNING, BACKOFF, STOPPING, EXITED, FATAL).
///
/// The state carries no data; `ProcessStateMachine` keeps the data that belongs to each state (deadlines,
/// attempt numbers). The raw value is the name used on the wire, in the CLI and in `events.jsonl`.
public enum ProcessState: String, Codable, Sendable, CaseIterable {
    /// Not running, and not asked to run (initial state, or after a requested stop).
    case stopped = "STOPPED"
    /// Spawned; must stay up for `start_seconds` to count as started.
    case starting = "STARTING"
    /// Started and alive.
    case running = "RUNNING"
    /// A start failed; waiting for the backoff delay before the next attempt.
    case backoff = "BACKOFF"
    /// Stop signal sent; waiting for the whole process tree to be gone.
    case stopping = "STOPPING"
    /// Exited from RUNNING and will not be restarted by its policy.
    case exited = "EXITED"
    /// Gave up after `start_retries` failed starts, or could not be spawned at all.
    case fatal = "FATAL"

    /// Whether a process (a live pid) can exist in this state.
    public var hasProcess: Bool { self == .starting || self == .running || self == .stopping }
}

/// How a process ended, decoded from a wait status (wait(2): WIFEXITED / WIFSIGNALED).
public enum TerminationStatus: Hashable, Sendable, CustomStringConvertible {
    /// Normal exit with this exit code (0...255).
    case exited(Int32)
    /// Killed by this signal number; `coreDumped` when the kernel wrote a core.
    case signaled(Int32, coreDumped: Bool)

    /// Whether the exit code is 0 (the only "success" Warden knows for now).
    public var isSuccess: Bool { self == .exited(0) }

    /// `exit status 1`, `killed by signal 9 (SIGKILL)`, `killed by signal 11 (SIGSEGV, core dumped)`.
    public var description: String {
        switch self {
        case .exited(let code): return "exit status \(code)"
        case .signaled(let signal, let core):
            return "killed by signal \(signal) (\(SignalName.displayName(of: signal))\(core ? ", core dumped" : ""))"
        }
    }
}

/// Restart policy of a program (`restart = "always" | "on-failure" | "never"`).
public enum RestartPolicy: String, Codable, Sendable, CaseIterable {
    case always
    case onFailure = "on-failure"
    case never
}
