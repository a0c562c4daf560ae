import ArgumentParser

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
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
    ///
    /// A client only needs `state_dir` from the file. While an edited file has errors elsewhere (the
    /// running Warden keeps its old config), the `[supervisor]` table alone is used, so `warden status` and
    /// `warden reload` (which then reports the diagnostics from Warden) keep working.
    /// - Throws: `ExitCode(2)` when not even the `[supervisor]` table of `-c` is valid.
    func socketPath() throws -> String {
        if let socket { return socket }
        guard let config else {
            return ControlSocket.path(inStateDirectory: ControlSocket.defaultStateDirectory)
        }
        do {
            return ControlSocket.path(inStateDirectory: try ConfigLoader.load(path: config).supervisor.stateDirectory)
        } catch {
            if let text = try? String(contentsOfFile: config, encoding: .utf8),
                let settings = try? ConfigLoader.parse(Self.supervisorTable(of: text), file: config)
            {
                return ControlSocket.path(inStateDirectory: settings.supervisor.stateDirectory)
            }
            for diagnostic in error.diagnostics { Terminal.error(diagnostic.description) }
            throw ExitCode(ExitStatus.invalidConfig)
        }
    }

    /// The lines of the `[supervisor]` table of a TOML text (header included), or `""` when there is none.
    static func supervisorTable(of text: String) -> String {
        var lines: [Substring] = []
        var inside = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix("[") {
                let name = trimmed.dropFirst().prefix { $0 != "]" }.filter { $0 != " " && $0 != "\t" }
                inside = name == "supervisor"
            }
            if inside { lines.append(line) }
        }
        return lines.joined(separator: "\n")
    }
}
