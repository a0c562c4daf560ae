import ArgumentParser
import WardenAPI
import WardenConfig

/// `-c/--config FILE` and `--socket PATH`, shared by every subcommand.
struct ConfigOption: ParsableArguments {
    @Option(
        name: [.customShort("c"), .customLong("config")],
        help: ArgumentHelp(
            "Warden config file (TOML). Required by run and check; other commands find the control socket in its state_dir. An invalid file fails every command (diagnostics on stderr, exit 2).",
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
    ///
    /// `-c` is loaded and validated as a whole, as `warden check` does: a command never acts on a file
    /// with errors, even ones outside `[supervisor]`. To reach a running Warden while its file is being
    /// edited, pass `--socket` instead of `-c`.
    /// - Throws: `ExitCode(2)` after printing every diagnostic (`FILE:LINE: message`) when `-c` is invalid.
    func socketPath() throws -> String {
        if let socket { return socket }
        guard let config else {
            return ControlSocket.path(inStateDirectory: ControlSocket.defaultStateDirectory)
        }
        return ControlSocket.path(inStateDirectory: try loadConfiguration(path: config).supervisor.stateDirectory)
    }
}
