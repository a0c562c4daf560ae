import WardenPluginProtocol
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Entry point of a Swift collector plugin: `await PluginRunner.run(MyCollector.self)` in `main.swift`.
///
/// Wires `PluginSession` to the real channel: stdin is read by a dedicated thread (`StdinLineReader`, lines
/// limited to `PluginProtocol.maxLineBytes`), protocol messages go to stdout and diagnostics to stderr, each
/// through its own `LineWriter` thread (one line per message, in order, written without user-space
/// buffering). SIGPIPE is ignored so a vanished Warden shows up as a write error and end of input, not a
/// signal death.
public enum PluginRunner {
    /// Serves the protocol until `shutdown`/end of input (exit 0) or a fatal handshake error (exit 1).
    public static func run<C: Collector>(_ collectorType: C.Type) async -> Never {
        signal(SIGPIPE, SIG_IGN)
        let stdout = LineWriter(fileDescriptor: STDOUT_FILENO)
        let stderr = LineWriter(fileDescriptor: STDERR_FILENO)
        let output = MessageOutput(
            writeLine: { stdout.write(line: $0) },
            writeDiagnostic: { stderr.write(text: "\(C.name): \($0)") })
        let input = StdinLineReader.lines(fileDescriptor: STDIN_FILENO, maxLineBytes: PluginProtocol.maxLineBytes)
        let status = await PluginSession.serve(collectorType, input: input, output: output)
        await stdout.drain()
        await stderr.drain()
        exit(status)
    }
}
