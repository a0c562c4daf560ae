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
