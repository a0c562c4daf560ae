import Foundation
import Synchronization
import WardenPluginKit

/// Lines collected from a child's output pipe by a dedicated reader thread.
final class LineInbox: Sendable {
    private let state = Mutex<(lines: [String], closed: Bool)>(([], false))

    /// Starts a thread reading `fd` until end of file.
    init(fileDescriptor fd: Int32) {
        Thread { [self] in
            var splitter = LineSplitter(maxLineBytes: 8 << 20)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                let events = splitter.feed(buffer[0..<count])
                self.append(events)
            }
            self.append(splitter.finish())
            self.state.withLock { $0.closed = true }
        }.start()
    }

    private func append(_ events: [LineSplitter.Event]) {
        let lines = events.compactMap { event -> String? in
            if case .line(let bytes) = event { return String(decoding: bytes, as: UTF8.self) }
            return nil
        }
        state.withLock { $0.lines += lines }
    }

    /// Removes and returns the next line, waiting up to `timeout` seconds; `nil` on timeout or end of file.
    func next(timeout: Double = 10) async -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let (line, closed) = state.withLock { state -> (String?, Bool) in
                state.lines.isEmpty ? (nil, state.closed) : (state.lines.removeFirst(), false)
            }
            if let line { return line }
            if closed { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Everything received and not yet taken, after end of file (or `timeout`).
    func rest(timeout: Double = 5) async -> [String] {
        var lines: [String] = []
        while let line = await next(timeout: timeout) { lines.append(line) }
        return lines
    }
}

/// A child process with piped stdin, stdout and stderr (Foundation.Process), used by one test at a time.
final class ChildProcess {
    let process = Process()
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    let stdout: LineInbox
    let stderr: LineInbox

    init(executable: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        try process.run()
        stdout = LineInbox(fileDescriptor: stdoutPipe.fileHandleForReading.fileDescriptor)
        stderr = LineInbox(fileDescriptor: stderrPipe.fileHandleForReading.fileDescriptor)
    }

    var pid: Int32 { process.processIdentifier }

    /// Writes `text` plus a newline to the child's stdin.
    func send(_ text: String) throws {
        try stdinPipe.fileHandleForWriting.write(contentsOf: Data((text + "\n").utf8))
    }

    /// Writes raw bytes to the child's stdin.
    func sendRaw(_ data: Data) throws {
        try stdinPipe.fileHandleForWriting.write(contentsOf: data)
    }

    /// Closes the child's stdin (end of input).
    func closeInput() throws {
        try stdinPipe.fileHandleForWriting.close()
    }

    /// The next stdout line decoded as a JSON object.
    func nextObject(timeout: Double = 10) async -> [String: Any]? {
        guard let line = await stdout.next(timeout: timeout) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }

    /// Waits up to `timeout` seconds for the exit; returns the status, or `nil` (after SIGKILL) on timeout.
    func waitForExit(timeout: Double = 10) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.interrupt()
                Glibc.kill(process.processIdentifier, SIGKILL)
                return nil
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    /// Kills the child if it is still running (cleanup after a failed expectation).
    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}

/// Paths of built products and repository files.
enum Paths {
    /// The directory holding the test bundle, where SwiftPM also puts the executables.
    static var products: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent() }
    static var redisCollector: String { products.appendingPathComponent("warden-collector-redis").path }
    /// The repository root (this file is Tests/WardenPluginTests/Support/ChildProcess.swift).
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }
}

/// JSON text of a `hello` from Warden.
func helloLine(config: [String: Any], protocolVersion: Int = 1, longRunningSeconds: Double = 300, timeoutSeconds: Double = 5) -> String {
    let object: [String: Any] = [
        "type": "hello", "protocol_version": protocolVersion, "collector": "test", "interval_seconds": 10,
        "timeout_seconds": timeoutSeconds, "long_running_seconds": longRunningSeconds, "config": config,
    ]
    return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}

/// JSON text of a `collect` from Warden.
func collectLine(seq: Int, workers: [(name: String, pid: Int32)]) -> String {
    let list: [[String: Any]] = workers.map {
        ["name": $0.name, "program": String($0.name.split(separator: ":").first ?? ""), "pid": $0.pid, "tree_pids": [$0.pid]]
    }
    let object: [String: Any] = ["type": "collect", "seq": seq, "workers": list]
    return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}
