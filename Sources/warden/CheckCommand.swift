import ArgumentParser
import WardenConfig
import WardenSupervisor

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `warden check -c FILE [--strict]`.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a config file without running anything.",
        discussion: """
            Prints FILE: OK (N programs, M processes[, K collectors]) and exits 0 when the file is valid. Otherwise prints \
            every problem as FILE:LINE: message on stderr and exits 2.

            A valid file is also checked against this machine: a program's directory that does not exist, a \
            command or a collector plugin that names no executable file (relative paths: to the config \
            file's directory; bare names: next to warden, then on PATH) is printed as \
            FILE:LINE: warning: KEY: message on stderr. Warnings do not change the exit code, unless --strict: \
            then the exit code is 4.
            """)

    @OptionGroup var options: ConfigFileOption

    @Flag(help: "Exit 4 when the file is valid but has warnings (missing directories, executables, plugins).")
    var strict = false

    /// Exit code of a valid file with warnings under `--strict`.
    static let warningsExitCode: Int32 = 4

    func run() async throws {
        let path = try options.requiredConfigPath()
        let configuration = try options.loadConfiguration(path: path)
        let programs = configuration.programs.count
        let processes = configuration.programs.reduce(0) { $0 + $1.numprocs }
        let collectors = configuration.collectors.count
        let plugins = collectors == 0 ? "" : ", \(collectors) collector\(collectors == 1 ? "" : "s")"
        func counted(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : (noun.hasSuffix("s") ? "es" : "s"))" }
        print("\(path): OK (\(counted(programs, "program")), \(counted(processes, "process"))\(plugins))")
        let warnings = Preflight.warnings(configuration)
        guard !warnings.isEmpty else { return }
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        // In file order, as the errors are.
        let placed = warnings.map { warning in
            (warning, ConfigLoader.diagnostic(file: path, text: text, keyPath: warning.keyPath, message: warning.message))
        }
        for (warning, place) in placed.sorted(by: { ($0.1.line ?? .max) < ($1.1.line ?? .max) }) {
            Terminal.error("\(path):\(place.line.map(String.init) ?? "?"): warning: \(place.key ?? ""): \(warning.message)")
        }
        if strict { throw ExitCode(Self.warningsExitCode) }
    }
}
