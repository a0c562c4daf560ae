import Foundation
import WardenPluginProtocol
import WardenTestSupport

/// The built `warden-collector-postgres` binary, run as Warden runs it: JSON lines over stdin/stdout pipes,
/// stderr captured for inspection.
final class CollectorProcess {
    /// The executable next to the test bundle.
    static let executable = BuiltProducts.path("warden-collector-postgres")

    private let child: ChildProcess

    var pid: Int32 { child.pid }
    /// Everything the plugin wrote to stderr so far.
    var stderrText: String { child.stderr.text }

    init() throws {
        child = try ChildProcess(Self.executable, input: true)
    }

    /// Sends one message as a JSON line.
    func send(_ message: HostMessage) throws {
        var line = try JSONEncoder().encode(message)
        line.append(0x0A)
        try child.write(line)
    }

    /// The next message the plugin wrote, or `nil` on end of output or timeout. A line that is not a
    /// `PluginMessage` is a protocol violation and fails the decode.
    func receive(timeout: Double = 15) async throws -> PluginMessage? {
        guard let line = await child.stdout.next(timeout: timeout) else { return nil }
        return try JSONDecoder().decode(PluginMessage.self, from: Data(line.utf8))
    }

    /// Sends `hello` and returns the answer.
    func hello(url: String, longRunningSeconds: Double = 300, timeoutSeconds: Double = 5) async throws -> PluginMessage? {
        try send(.hello(.init(
            collector: "postgres", intervalSeconds: 10, timeoutSeconds: timeoutSeconds,
            longRunningSeconds: longRunningSeconds, config: .object(["url": .string(url)]))))
        return try await receive()
    }

    /// Sends `collect` and returns the answer.
    func collect(seq: UInt64, workers: [WorkerTree]) async throws -> PluginMessage? {
        try send(.collect(.init(seq: seq, workers: workers)))
        return try await receive()
    }

    /// Exit status once the process ends, `nil` if it is still running after `timeout` seconds.
    func waitForExit(timeout: Double) async -> Int32? { await child.waitForExit(timeout: timeout) }

    /// Cleanup on any path (no waiting): SIGKILL if still running.
    func terminate() {
        try? child.closeInput()
        child.kill()
    }

    /// `shutdown`, close stdin, wait up to 5 s, then SIGKILL. Returns the exit status (nil if killed).
    @discardableResult
    func stop() async -> Int32? {
        try? send(.shutdown)
        try? child.closeInput()
        if let status = await waitForExit(timeout: 5) { return status }
        child.kill()
        _ = await waitForExit(timeout: 5)
        return nil
    }
}
