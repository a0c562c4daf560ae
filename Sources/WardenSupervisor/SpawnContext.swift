#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import WardenLinux

/// What every spawn starts from, read once at start-up: the process layer, Warden's pid, its directory,
/// its environment without systemd's variables, and `warden-exec`.
struct SpawnContext: Sendable {
    let processes: any ProcessLayer
    let wardenPID: Int32
    /// The directory of the warden binary (executables next to it are found first).
    let executableDirectory: String
    /// Warden's own environment (building it from `ProcessInfo` on each spawn was a tenth of start-up CPU
    /// with 500 workers). What systemd passed to Warden is not the workers' business: a worker inheriting
    /// NOTIFY_SOCKET or WATCHDOG_* would talk to Warden's service manager as if it were Warden.
    let baseEnvironment: [String: String]
    /// `warden-exec` next to the warden binary (sets WATCHDOG_PID before exec), `nil` if absent.
    let execShim: String?

    init(processes: any ProcessLayer) {
        self.processes = processes
        wardenPID = getpid()
        executableDirectory = ExecutableResolver.currentExecutableDirectory()
        var environment = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
                    "JOURNAL_STREAM"] {
            environment[key] = nil
        }
        baseEnvironment = environment
        execShim = ExecutableResolver.resolve("warden-exec", searchPath: nil, preferDirectory: executableDirectory,
                                              workingDirectory: nil)
    }
}

/// `state_dir` and `state_dir/logs`.
enum StateDirectory {
    /// Creates `state` and `state/logs` where missing, mode 0700: the control socket inside is then never
    /// reachable by others, even between bind and chmod. An existing directory keeps its mode.
    /// - Returns: the directories created, and the first one that could neither be created nor found
    ///   (with its errno).
    static func create(_ state: String) -> (created: [String], failure: (directory: String, errno: Int32)?) {
        var created: [String] = []
        for dir in [state, state + "/logs"] {
            if mkdir(dir, 0o700) == 0 {
                created.append(dir)
            } else if errno != EEXIST {
                return (created, (dir, errno))
            }
        }
        return (created, nil)
    }
}
