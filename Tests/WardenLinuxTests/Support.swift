import Foundation
import Testing
import Glibc
import WardenCore
@testable import WardenLinux

/// Waits for the tests' own children by pid.
///
/// The tests deliberately do NOT start the process-wide `ChildReaper`: its `waitpid(-1)` would also reap
/// the children that other test suites in this same test process start with Foundation's `Process`
/// (the CLI and end-to-end tests), which would then read a wrong exit status. Warden itself starts no
/// process it does not reap, so there the global reaper is right; its behaviour (SIGCHLD, subreaper,
/// orphans) is exercised end to end by `WardenIntegrationTests` through the real `warden` binary.
actor ReapHub {
    static let shared = ReapHub()

    /// The status of `pid` once it has exited (reaping it), or nil after `timeout`.
    func status(of pid: Int32, timeout: Duration = .seconds(10)) async -> TerminationStatus? {
        let deadline = ContinuousClock.now + timeout
        repeat {   // checks at least once, even if this task only runs after the deadline
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return TerminationStatus(waitStatus: status) }
            if result < 0 { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        } while ContinuousClock.now < deadline
        return nil
    }
}

enum TestSupport {
    static let searchPath = "/usr/bin:/bin"

    /// Spawns `arguments` (argv[0] looked up on /usr/bin:/bin), making sure the reaper runs.
    static func spawn(
        _ arguments: [String], environment: [String: String] = ["PATH": searchPath], directory: String? = nil,
        stdout: Int32, stderr: Int32
    ) throws -> SpawnedProcess {
        let path = try #require(ExecutableResolver.resolve(arguments[0], searchPath: searchPath, preferDirectory: nil))
        return try Spawner.spawn(SpawnRequest(
            executablePath: path, arguments: arguments, environment: environment, directory: directory,
            stdoutFD: stdout, stderrFD: stderr))
    }

    /// Runs `body` with a write-only /dev/null descriptor (above 2, O_CLOEXEC).
    static func withDevNull<R>(_ body: (Int32) throws -> R) throws -> R {
        let fd = open("/dev/null", O_WRONLY | O_CLOEXEC)
        try #require(fd > 2)
        defer { close(fd) }
        return try body(fd)
    }

    /// Entries of a directory, "." and ".." excluded, sorted.
    static func list(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    /// The value of a `Key:` line of /proc/PID/status.
    static func statusField(_ pid: Int32, _ key: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// Whether the process `pid` that started at `startTime` still exists (zombies included).
    static func exists(_ pid: Int32, startTime: UInt64) -> Bool {
        ProcReader.readStat(pid: pid)?.startTime == startTime
    }

    /// Waits until `pid` (a `sleep`) blocks in nanosleep: before that, the dynamic loader may still hold an
    /// extra fd and RSS is still growing.
    static func waitUntilSleeping(_ pid: Int32) async -> Bool {
        await eventually {
            (try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8))?.contains("nanosleep") == true
        }
    }

    /// Polls `condition` every 10 ms until it holds or `timeout` passes.
    static func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}

/// A fresh directory under /tmp, removed on deinit.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/warden-linux-tests.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        try #require(made != nil)
        path = String(cString: made!)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func read(_ name: String) -> String? { try? String(contentsOfFile: path + "/" + name, encoding: .utf8) }
}
