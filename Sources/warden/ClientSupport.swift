import ArgumentParser
import WardenClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Exit codes of the client commands, documented in each command's help.
enum ExitStatus {
    /// A refused or failed request: unknown name, failed action, malformed answer, timeout.
    static let failure: Int32 = 1
    /// The config file (local, or the one Warden reloaded) is invalid.
    static let invalidConfig: Int32 = 2
    /// Nobody answers on the control socket.
    static let unreachable: Int32 = 3

    /// The help text shared by the client commands.
    static let help = """
        Exit codes: 0 success; 1 unknown name, failed action or other refusal; 2 invalid config; \
        3 cannot reach Warden (no socket, nobody listening, permission denied).
        """
}

/// Output helpers; errors go to stderr so stdout stays parseable.
enum Terminal {
    /// Writes `line` and a newline to stderr, unbuffered.
    static func error(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            if written <= 0 { break }
            offset += written
        }
    }
}

extension Terminal {
    /// Writes `bytes` to stdout as they are (captured output: no re-encoding).
    static func output(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            if written <= 0 { break }
            offset += written
        }
    }
}

/// Runs `body` against the Warden named by `options`; reports a `WardenClientError` on stderr and turns it
/// into the documented exit code.
func withClient<T>(
    _ options: ConfigOption, _ body: (WardenClient) async throws(WardenClientError) -> T
) async throws -> T {
    let client = WardenClient(socketPath: try options.socketPath())
    do {
        return try await body(client)
    } catch {
        throw report(error)
    }
}

/// Prints `error` (each line of a multi-line message, e.g. reload diagnostics) and returns its exit code.
func report(_ error: WardenClientError) -> ExitCode {
    switch error {
    case .cannotConnect:
        Terminal.error("error: \(error)")
        return ExitCode(ExitStatus.unreachable)
    case .api(422, let body):
        for line in body.error.message.split(separator: "\n", omittingEmptySubsequences: true) {
            Terminal.error(String(line))
        }
        return ExitCode(ExitStatus.invalidConfig)
    default:
        Terminal.error("error: \(error)")
        return ExitCode(ExitStatus.failure)
    }
}
