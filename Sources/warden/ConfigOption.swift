import ArgumentParser
import WardenAPI
import WardenConfig

/// `-c/--config FILE` and `--socket PATH`, shared by every subcommand.
struct ConfigOption: ParsableArguments {
    @Option(
        name: [.customShort("c"), .customLong("config")],
        help: ArgumentHelp(
            "Warden config file (TOML). Required by run and check; other commands read its [supervisor] state_dir to find the control socket.",
            valueName: "FILE"))
    var config: String?

    @Option(
        name: .customLong("socket"),
        help: ArgumentHelp(
            "Control socket path, overriding STATE_DIR/warden.sock (STATE_DIR is ./.warden without -c).",
            valueName: "PATH"))
    var socket: String?

    /// The `-c` path, for commands that cannot work without a config file.
    /// - Throws: `ValidationError` when `-c` was not given.
    func requiredConfigPath() throws -> String {
        guard let config else { throw ValidationError("Missing expected option '-c/--config <FILE>'.") }
        return config
    }

    /// Loads and validates `path`.
    /// - Throws: `ExitCode(2)` after printing every diagnostic (`FILE:LINE: message`) on stderr.
    func loadConfiguration(path: String) throws -> WardenConfiguration {
        do {
            return try ConfigLoader.load(path: path)
        } catch {
            for diagnostic in error.diagnostics { Terminal.error(diagnostic.description) }
            throw ExitCode(ExitStatus.invalidConfig)
        }
    }

    /// The control socket: `--socket`, else `STATE_DIR/warden.sock` with STATE_DIR from `-c` or `./.warden`.
    /// - Throws: `ExitCode(2)` when `-c` names an invalid config.
    func socketPath() throws -> String {
        if let socket { return socket }
        if let config {
            let configuration = try loadConfiguration(path: config)
            return ControlSocket.path(inStateDirectory: configuration.supervisor.stateDirectory)
        }
        return ControlSocket.path(inStateDirectory: ControlSocket.defaultStateDirectory)
    }
}
