import Foundation
import Synchronization
import WardenPluginProtocol

/// The built `warden-collector-postgres` binary, run as Warden runs it: JSON lines over stdin/stdout pipes,
/// stderr captured for inspection.
final class CollectorProcess {
    /// The executable next to the test bundle.
    static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("warden-collector-postgres")

    let process: Process
    private let input: FileHandle
    private let output: LineStream
    private let errors = SharedState("")
    private let exit = SharedState<Int32?>(nil)

    var pid: Int32 { process.processIdentifier }
    /// Everything the plugin wrote to stderr so far.
    var stderrText: String { errors.withLock { $0 } }

    init() throws {
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process = Process()
        process.executableURL = Self.executable
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let exit = self.exit
        process.terminationHandler = { finished in
            exit.withLock { $0 = finished.terminationStatus }
        }
        let errors = self.errors
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil; return }
            errors.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        output = LineStream(reading: stdout.fileHandleForReading)
        input = stdin.fileHandleForWriting
        try process.run()
    }

    /// Sends one message as a JSON line.
    func send(_ message: HostMessage) throws {
        var line = try JSONEncoder().encode(message)
        line.append(0x0A)
        try input.write(contentsOf: line)
    }

    /// The next message the plugin wrote, or `nil` on end of output or timeout. A line that is not a
    /// `PluginMessage` is a protocol violation and fails the decode.
    func receive(timeout: Double = 15) async throws -> PluginMessage? {
        guard let line = await output.next(timeout: timeout) else { return nil }
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
    func waitForExit(timeout: Double) async -> Int32? {
        if let status = exit.withLock({ $0 }) { return status }
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            if let status = exit.withLock({ $0 }) { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exit.withLock { $0 }
    }

    /// Cleanup on any path (no waiting): SIGKILL if still running.
    func terminate() {
        try? input.close()
        if exit.withLock({ $0 }) == nil { kill(pid, SIGKILL) }
    }

    /// `shutdown`, close stdin, wait up to 5 s, then SIGKILL. Returns the exit status (nil if killed).
    @discardableResult
    func stop() async -> Int32? {
        try? send(.shutdown)
        try? input.close()
        if let status = await waitForExit(timeout: 5) { return status }
        kill(pid, SIGKILL)
        _ = await waitForExit(timeout: 5)
        return nil
    }
}
