import ArgumentParser
import Glibc
import WardenAPI
import WardenConfig

/// `-c/--config FILE`: the options of a command that reads a config file and nothing else (`check`).
struct ConfigFileOption: ParsableArguments {
    @Option(
        name: [.customShort("c"), .customLong("config")],
        help: ArgumentHelp(
            "Warden config file (TOML). Default: $WARDEN_CONFIG, else /etc/warden/warden.toml when it exists. An invalid file fails the command (diagnostics on stderr, exit 2).",
            valueName: "FILE"))
    var config: String?

    /// `-c`, `$WARDEN_CONFIG` or `/etc/warden/warden.toml` (`ConfigLocation`), or `nil` when none applies.
    var location: ConfigLocation? {
        var environment: [String: String] = [:]
        if let value = getenv(ConfigLocation.environmentVariable) {
            environment[ConfigLocation.environmentVariable] = String(cString: value)
        }
        return ConfigLocation.resolve(option: config, environment: environment) { access($0, F_OK) == 0 }
    }

    /// The config file, for commands that cannot work without one.
    /// - Throws: `ValidationError` (exit 64) when there is no `-c`, no `$WARDEN_CONFIG` and no
    ///   `/etc/warden/warden.toml`.
    func requiredConfigPath() throws -> String {
        guard let location else { throw ValidationError("Missing expected option '-c/--config <FILE>': \(ConfigLocation.missingMessage).") }
        return location.path
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
}

/// `-c/--config FILE` and `--socket PATH`, shared by every command that talks to Warden (and `run`).
struct ConfigOption: ParsableArguments {
    @OptionGroup var file: ConfigFileOption

    @Option(
        name: .customLong("socket"),
        help: ArgumentHelp(
            "Control socket path, overriding STATE_DIR/warden.sock (STATE_DIR is ./.warden without a config file).",
            valueName: "PATH"))
    var socket: String?

    /// See `ConfigFileOption.requiredConfigPath()`.
    func requiredConfigPath() throws -> String { try file.requiredConfigPath() }

    /// See `ConfigFileOption.loadConfiguration(path:)`.
    func loadConfiguration(path: String) throws -> WardenConfiguration { try file.loadConfiguration(path: path) }

    /// The state directory: the config file's `state_dir` (the file is loaded and validated as a whole),
    /// else the directory of `--socket`, else `./.warden`.
    /// - Throws: `ExitCode(2)` after printing every diagnostic when the config file is invalid.
    func stateDirectory() throws -> String {
        if let location = file.location { return try loadConfiguration(path: location.path).supervisor.stateDirectory }
        if let socket, let slash = socket.lastIndex(of: "/") {
            return slash == socket.startIndex ? "/" : String(socket[..<slash])
        }
        return socket == nil ? ControlSocket.defaultStateDirectory : "."
    }

    /// The control socket: `--socket`, else `STATE_DIR/warden.sock` with STATE_DIR from the config file
    /// (`-c`, `$WARDEN_CONFIG`, `/etc/warden/warden.toml`) or `./.warden`.
    ///
    /// The config file is loaded and validated as a whole, as `warden check` does: a command never acts on
    /// a file with errors, even ones outside `[supervisor]`. To reach a running Warden while its file is
    /// being edited, pass `--socket` instead of `-c`.
    /// - Throws: `ExitCode(2)` after printing every diagnostic (`FILE:LINE: message`) when the file is invalid.
    func socketPath() throws -> String {
        if let socket { return socket }
        guard let location = file.location else {
            return ControlSocket.path(inStateDirectory: ControlSocket.defaultStateDirectory)
        }
        return ControlSocket.path(inStateDirectory: try loadConfiguration(path: location.path).supervisor.stateDirectory)
    }
}
