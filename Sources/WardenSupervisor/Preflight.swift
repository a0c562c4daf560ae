#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
public import WardenConfig
import WardenCore
import Glibc
import WardenLinux

/// What `warden check` can tell about a valid config by looking at this machine now: a program's
/// `directory` that is missing or unusable, a `command[0]` or a collector's `plugin` that names no
/// executable file, an existing `state_dir` that `warden run` refuses (its mode or owner). Each is what the spawn would fail with (the same `SpawnFailure` words), resolved the
/// same way (relative paths against the config file's directory; bare names next to the warden binary,
/// then on this process's `PATH`). Warnings, not errors: the machine that runs Warden may differ.
public enum Preflight {
    /// One problem: the config key it belongs to and the spawn failure it predicts.
    public struct Warning: Sendable, Equatable {
        public var keyPath: [String]
        public var message: String
    }

    /// The warnings for `configuration`, in program order (collectors last).
    public static func warnings(_ configuration: WardenConfiguration) -> [Warning] {
        let search = ProcessInfo.processInfo.environment["PATH"]
        let prefer = ExecutableResolver.currentExecutableDirectory()
        var found: [Warning] = []
        // An existing state_dir that `warden run` would refuse (another owner, writable by group or others),
        // in run's own words; a missing one is created 0700 by run.
        let state = configuration.supervisor.stateDirectory
        if access(state, F_OK) == 0, let problem = StateDirectory.problem(state) {
            found.append(Warning(keyPath: ["supervisor", "state_dir"], message: "warden run would refuse it: \(problem)"))
        }
        for program in configuration.supervisedPrograms {
            let table = program.collector.map { ["collectors", $0.name] } ?? ["programs", program.name]
            // Both are checked: a relative command resolves against the config file's directory, not
            // `directory`, so a missing directory says nothing about the executable.
            if let problem = Supervisor.directoryProblem(program.directory) {
                found.append(Warning(keyPath: table + ["directory"], message: problem.description))
            }
            let name = program.command[0]
            if ExecutableResolver.resolve(name, searchPath: search, preferDirectory: prefer,
                                          workingDirectory: configuration.directory) == nil {
                let failure = ExecutableResolver.notFound(name, searchPath: search, preferDirectory: prefer,
                                                          workingDirectory: configuration.directory)
                var message = failure.description
                if program.collector != nil, case .executableNotFoundIn(_, let searched) = failure,
                   let guess = closestPlugin(to: name, in: searched) {
                    message += "; did you mean \"\(guess)\"?"
                }
                found.append(Warning(keyPath: table + [program.collector == nil ? "command" : "plugin"], message: message))
            }
        }
        return found
    }

    /// The installed collector plugin (`warden-collector-*` in `directories`) within three edits of `name`
    /// (`warden-collector-postgre`, `warden-colector-redis`), or `nil`.
    static func closestPlugin(to name: String, in directories: [String]) -> String? {
        EditDistance.closest(to: name, among: ExecutableResolver.executables(prefixed: "warden-collector-", in: directories), budget: 3)
    }
}
