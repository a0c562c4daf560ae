import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where a child's stdout or stderr goes.
package enum ChildOutput: Sendable {
    /// Read until end of file by a dedicated thread, kept as lines and as text (`CapturedOutput`).
    case capture
    /// `/dev/null`.
    case discard
    /// Appended to this file, which must exist.
    case file(String)
}

/// The exit status and whole output of a command run to completion.
package struct CommandResult: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String
}

/// The tests' one way to run a child process (Foundation's `Process`): executable, arguments, environment
/// and working directory; stdin a pipe the test writes (`input: true`) or `/dev/null`; stdout and stderr
/// captured, discarded or sent to a file; the exit status once it has ended; waits bounded by a timeout;
/// signals. Nothing here blocks a cooperative thread: output is read by dedicated threads, async waits
/// poll with `Task.sleep`, and `run` runs the blocking `runBlocking` on a thread of its own.
package final class ChildProcess: Sendable {
    /// The underlying process (started).
    package let process: Process
    /// What the child wrote on stdout; empty and closed unless captured.
    package let stdout: CapturedOutput
    /// What the child wrote on stderr; empty and closed unless captured.
    package let stderr: CapturedOutput
    private let input: FileHandle?
    private let exit: ExitStatusBox

    /// Starts `executable arguments`.
    /// - Parameters:
    ///   - environment: the whole environment; `nil` inherits the test's.
    ///   - directory: the working directory; `nil` inherits the test's.
    ///   - input: whether stdin is a pipe for `send`/`write`/`closeInput` (else `/dev/null`).
    /// - Throws: what `Process.run()` or opening an output file throws.
    package init(
        _ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
        directory: String? = nil, input: Bool = false, stdout: ChildOutput = .capture, stderr: ChildOutput = .capture
    ) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if input {
            let pipe = Pipe()
            process.standardInput = pipe
            self.input = pipe.fileHandleForWriting
        } else {
            process.standardInput = FileHandle.nullDevice
            self.input = nil
        }
        let (outTarget, outPipe) = try Self.target(for: stdout)
        let (errTarget, errPipe) = try Self.target(for: stderr)
        process.standardOutput = outTarget
        process.standardError = errTarget
        let exit = ExitStatusBox()
        process.terminationHandler = { finished in exit.set(finished.terminationStatus) }
        try process.run()
        // The child has its own copies of the files now.
        if case .file = stdout { try? (outTarget as? FileHandle)?.close() }
        if case .file = stderr { try? (errTarget as? FileHandle)?.close() }
        self.process = process
        self.exit = exit
        self.stdout = outPipe.map { CapturedOutput(reading: $0.fileHandleForReading) } ?? CapturedOutput()
        self.stderr = errPipe.map { CapturedOutput(reading: $0.fileHandleForReading) } ?? CapturedOutput()
    }

    private static func target(for output: ChildOutput) throws -> (Any, Pipe?) {
        switch output {
        case .capture:
            let pipe = Pipe()
            return (pipe, pipe)
        case .discard:
            return (FileHandle.nullDevice, nil)
        case .file(let path):
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            return (handle, nil)
        }
    }

    package var pid: Int32 { process.processIdentifier }
    /// The exit status (`terminationStatus`: the signal number after a signal), `nil` while running.
    package var exitStatus: Int32? { exit.value }
    package var isRunning: Bool { exit.value == nil }

    /// Writes `line` and a newline to the child's stdin.
    /// - Throws: when stdin is not a pipe, or is closed.
    package func send(_ line: String) throws { try write(Data((line + "\n").utf8)) }

    /// Writes raw bytes to the child's stdin.
    /// - Throws: when stdin is not a pipe, or is closed.
    package func write(_ data: Data) throws {
        guard let input else { throw HarnessError("stdin of \(process.executableURL?.path ?? "?") is not a pipe") }
        try input.write(contentsOf: data)
    }

    /// Closes the child's stdin (end of input).
    package func closeInput() throws { try input?.close() }

    /// Sends `signal` if the child is still running.
    package func signal(_ signal: Int32) {
        if isRunning { Glibc.kill(pid, signal) }
    }

    /// SIGKILLs the child if it is still running (cleanup on any path).
    package func kill() { signal(SIGKILL) }

    /// SIGTERM, then SIGKILL when the child has not exited within `grace` seconds; waits for the exit.
    package func terminate(grace: Double) async {
        signal(SIGTERM)
        if await waitForExit(timeout: grace) == nil {
            kill()
            _ = await waitForExit(timeout: 5)
        }
    }

    /// The exit status, waiting up to `timeout` seconds; `nil` if it is still running then.
    package func waitForExit(timeout: Double = 10) async -> Int32? {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            if let status = exit.value { return status }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return exit.value
    }

    /// `waitForExit` for synchronous callers (a test's own thread, `deinit`): blocks the calling thread.
    package func waitForExitBlocking(timeout: Double) -> Int32? {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            if let status = exit.value { return status }
            usleep(5_000)
        }
        return exit.value
    }

    /// Runs a command to completion, capturing stdout and stderr; blocks the calling thread until the child
    /// has exited and closed both (a daemon that keeps them open keeps this waiting).
    /// - Throws: what `Process.run()` throws.
    package static func runBlocking(
        _ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
        directory: String? = nil
    ) throws -> CommandResult {
        let child = try ChildProcess(executable, arguments, environment: environment, directory: directory)
        child.stdout.waitUntilClosed()
        child.stderr.waitUntilClosed()
        while child.exit.value == nil { usleep(1_000) }
        return CommandResult(status: child.exit.value ?? -1, stdout: child.stdout.text, stderr: child.stderr.text)
    }

    /// `runBlocking` on a dedicated thread, for async tests.
    package static func run(
        _ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
        directory: String? = nil
    ) async throws -> CommandResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    try runBlocking(executable, arguments, environment: environment, directory: directory)
                })
            }.start()
        }
    }
}

/// The exit status, set by the termination handler (a Foundation thread) and read by the test.
private final class ExitStatusBox: Sendable {
    private let status = Mutex<Int32?>(nil)
    func set(_ value: Int32) { status.withLock { $0 = value } }
    var value: Int32? { status.withLock { $0 } }
}

/// A child's output stream read by a dedicated thread until end of file, as lines (split at `\n`, a last
/// unterminated line included) and as the whole text.
package final class CapturedOutput: Sendable {
    private struct State {
        var lines: [String] = []
        var partial: [UInt8] = []
        var text: [UInt8] = []
        var closed = false
    }
    private let state: Mutex<State>

    /// An output that was not captured: no lines, already closed.
    init() { state = Mutex(State(closed: true)) }

    /// Starts a thread that reads `handle` until end of file.
    init(reading handle: FileHandle) {
        state = Mutex(State())
        Thread { [self] in
            let fd = handle.fileDescriptor
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                self.append(buffer[0..<count])
            }
            self.state.withLock { state in
                if !state.partial.isEmpty { state.lines.append(String(decoding: state.partial, as: UTF8.self)) }
                state.partial = []
                state.closed = true
            }
            try? handle.close()
        }.start()
    }

    private func append(_ bytes: ArraySlice<UInt8>) {
        state.withLock { state in
            state.text += bytes
            state.partial += bytes
            while let newline = state.partial.firstIndex(of: 0x0A) {
                state.lines.append(String(decoding: state.partial[..<newline], as: UTF8.self))
                state.partial.removeSubrange(...newline)
            }
        }
    }

    /// Everything read so far, as text.
    package var text: String { state.withLock { String(decoding: $0.text, as: UTF8.self) } }

    /// Whether end of file was reached.
    package var isClosed: Bool { state.withLock { $0.closed } }

    /// Removes and returns the next line, waiting up to `timeout` seconds; `nil` on timeout or at end of file.
    package func next(timeout: Double = 10) async -> String? {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            let (line, closed) = state.withLock { state -> (String?, Bool) in
                state.lines.isEmpty ? (nil, state.closed) : (state.lines.removeFirst(), false)
            }
            if let line { return line }
            if closed { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Every line not yet taken, once end of file is reached (or a line takes longer than `timeout` seconds).
    package func rest(timeout: Double = 5) async -> [String] {
        var lines: [String] = []
        while let line = await next(timeout: timeout) { lines.append(line) }
        return lines
    }

    /// Blocks the calling thread until end of file.
    func waitUntilClosed() {
        while !isClosed { usleep(1_000) }
    }
}
