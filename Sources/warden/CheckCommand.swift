import ArgumentParser
import WardenConfig

/// `warden check -c FILE`.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a config file without running anything.",
        discussion: """
            Prints FILE: OK (N programs, M processes[, K collectors]) and exits 0 when the file is valid. Otherwise prints \
            every problem as FILE:LINE: message on stderr and exits 2.
            """)

    @OptionGroup var options: ConfigFileOption

    func run() async throws {
        let path = try options.requiredConfigPath()
        let configuration = try options.loadConfiguration(path: path)
        let programs = configuration.programs.count
        let processes = configuration.programs.reduce(0) { $0 + $1.numprocs }
        let collectors = configuration.collectors.count
        let plugins = collectors == 0 ? "" : ", \(collectors) collector\(collectors == 1 ? "" : "s")"
        print("\(path): OK (\(programs) programs, \(processes) processes\(plugins))")
    }
}
