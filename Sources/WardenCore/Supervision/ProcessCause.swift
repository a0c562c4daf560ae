/// Why a spawn failed: the one text a FATAL or BACKOFF row, `warden start`'s error, the log line and the
/// failed start's `state-change` event carry. The runtime probes the file system and picks the case; the
/// words are decided here.
public enum SpawnFailure: Sendable, Equatable, CustomStringConvertible {
    /// `command[0]` contains a `/` and no executable regular file is at `tried` (absolute).
    case executableNotFoundAt(command: String, tried: String)
    /// A bare `command[0]` is in none of `searched` (absolute directories, in search order).
    case executableNotFoundIn(command: String, searched: [String])
    /// The program's `directory` does not exist.
    case directoryMissing(String)
    /// The program's `directory` exists but cannot be used (not a directory, no permission): `problem`.
    case directoryUnusable(String, problem: String)
    /// The program needs the notify socket (`ready = "notify"`, `watchdog`) and Warden has none.
    case notifySocketUnavailable
    /// posix_spawn or a pipe failed: the system's words.
    case spawnError(String)

    /// The transition reason the failed start records.
    public var reason: TransitionReason {
        switch self {
        case .executableNotFoundAt, .executableNotFoundIn: .executableNotFound
        case .notifySocketUnavailable: .notifySocketUnavailable
        case .directoryMissing, .directoryUnusable, .spawnError: .spawnFailed
        }
    }

    /// `cannot find executable "./leak.py" (no executable file at /etc/app/leak.py)`,
    /// `cannot find executable "leakd" (looked in /opt/warden, /usr/bin)`, `directory /srv/app does not exist`.
    public var description: String {
        switch self {
        case .executableNotFoundAt(let command, let tried):
            "cannot find executable \"\(command)\" (no executable file at \(tried))"
        case .executableNotFoundIn(let command, let searched):
            "cannot find executable \"\(command)\" (looked in \(searched.joined(separator: ", ")))"
        case .directoryMissing(let directory):
            "directory \(directory) does not exist"
        case .directoryUnusable(let directory, let problem):
            "cannot use directory \(directory): \(problem)"
        case .notifySocketUnavailable:
            "no notify socket for ready = \"notify\" / watchdog"
        case .spawnError(let text):
            "spawn failed: \(text)"
        }
    }
}

/// How the status table's REASON, `warden start`'s error and the log lines phrase why a process is down or
/// why it restarted. Pure rendering of the state machine's books.
public enum ProcessCause {
    /// Why a process restarted: how the last one ended for an exit (`exit status 1`, `killed by signal 9
    /// (SIGKILL)`), the verdict with its figure for a leak or limit (`memory-growth 31.2 MiB/min`), else the
    /// reason (`manual`, `watchdog`, `config-changed`).
    public static func restart(_ reason: TransitionReason, exit: TerminationStatus?, leakDetail: String?) -> String {
        if reason == .exit, let exit { return exit.description }
        if reason.isLeakResponse, let leakDetail { return "\(reason.rawValue) \(leakDetail)" }
        return reason.rawValue
    }

    /// Why a process is FATAL: the root cause first — the spawn failure, or how the last process ended —
    /// then that Warden gave up: `directory /srv/app does not exist; gave up after 4 failed starts`.
    public static func fatal(spawnFailure: String?, exit: TerminationStatus?, failedStarts: Int,
                             reason: TransitionReason) -> String {
        let giveUp = reason == .startRetriesExhausted
            ? "gave up after \(failedStarts) failed start\(failedStarts == 1 ? "" : "s")"
            : "gave up: \(reason.rawValue)"
        if let spawnFailure { return "\(spawnFailure); \(giveUp)" }
        if let exit { return "\(exit); \(giveUp)" }
        return giveUp
    }

    /// A state change as Warden's log line says it: `RUNNING -> EXITED (exit): exit status 1`,
    /// `EXITED -> STARTING (exit): restart after exit status 1`.
    public static func logLine(_ t: ProcessStateMachine.Transition, exit: TerminationStatus?, spawnFailure: String?,
                               restartCause: String?) -> String {
        var line = "\(t.from.rawValue) -> \(t.to.rawValue) (\(t.reason.rawValue))"
        var details: [String] = []
        if let spawnFailure { details.append(spawnFailure) } else if let exit { details.append(exit.description) }
        if let restartCause { details.append("restart after \(restartCause)") }
        if !details.isEmpty { line += ": " + details.joined(separator: "; ") }
        return line
    }
}
