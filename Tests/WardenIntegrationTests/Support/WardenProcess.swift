import Foundation
import Testing
import WardenTestSupport

let wardenPath = BuiltProducts.path("warden")
let workloadPath = BuiltProducts.path("warden-workload")

/// A real `warden run` on a temporary config, for end-to-end tests.
///
/// The config text may use `WORKLOAD` for the workload executable's path; `state_dir` should be
/// `"state"`. Every test gets its own directory under /tmp (short: socket paths are limited to 108 bytes).
final class WardenProcess {
    let directory: URL
    let configPath: String
    let stderrPath: String
    private(set) var process: ChildProcess!
    /// Keep the directory at deinit (for a test that starts another Warden on it).
    var keepDirectory = false

    /// Starts `warden run` on `config`. `environment` entries are added to the test's environment;
    /// `launcher` (e.g. warden-exec) is put in front of the warden command line when given; `directory`
    /// reuses another run's directory (and its state directory).
    init(config: String, environment: [String: String] = [:], launcher: [String] = [], directory: URL? = nil) throws {
        let dir = directory ?? URL(fileURLWithPath: "/tmp").appendingPathComponent("wt-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        self.directory = dir
        configPath = dir.appendingPathComponent("warden.toml").path
        stderrPath = dir.appendingPathComponent("warden.stderr").path
        try writeConfig(config)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let run = ["run", "-c", configPath, "--log-level", "debug"]
        process = try ChildProcess(
            launcher.first ?? wardenPath,
            launcher.isEmpty ? run : Array(launcher.dropFirst()) + [wardenPath, "warden"] + run,
            environment: environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { $1 },
            stdout: .discard, stderr: .file(stderrPath))
        try waitFor("control socket", timeout: 30) {
            FileManager.default.fileExists(atPath: self.socketPath) && (try? self.status()) != nil
        }
    }

    /// Rewrites the config file (for SIGHUP tests).
    func writeConfig(_ text: String) throws {
        let expanded = text.replacingOccurrences(of: "WORKLOAD", with: workloadPath)
        try expanded.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    var stateDirectory: String { directory.appendingPathComponent("state").path }
    var socketPath: String { stateDirectory + "/warden.sock" }
    var pid: Int32 { process.pid }

    /// `warden CMD --socket SOCKET ARGS...` through the real CLI (the socket, not `-c`, so that a test
    /// can leave an invalid config on disk while it talks to the running Warden).
    func cli(_ arguments: [String]) throws -> CommandResult {
        var args = arguments
        args.insert(contentsOf: ["--socket", socketPath], at: 1)
        return try ChildProcess.runBlocking(wardenPath, args)
    }

    /// Runs a CLI command that prints JSON (e.g. `pools --json`) and parses its output.
    func cliJSON(_ arguments: [String]) throws -> [String: Any] {
        let result = try cli(arguments)
        guard result.status == 0 else { throw HarnessError("warden \(arguments.joined(separator: " ")) failed: \(result.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
    }

    /// Parsed `GET /v1/health` (through curl on the control socket).
    func health() throws -> [String: Any] { try getJSON("/v1/health") }

    /// Parsed answer of `GET target` on the control socket (through curl); throws unless it is a 200.
    func getJSON(_ target: String) throws -> [String: Any] {
        let result = try ChildProcess.runBlocking("/usr/bin/curl", ["-sSf", "--unix-socket", socketPath, "http://localhost" + target])
        guard result.status == 0 else { throw HarnessError("curl \(target) failed: \(result.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
    }

    /// Parsed `warden status --json`, by process name.
    func status() throws -> [String: [String: Any]] {
        let result = try cli(["status", "--json"])
        guard result.status == 0 else { throw HarnessError("status failed: \(result.stderr)") }
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let list = object?["processes"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: list.map { ($0["name"] as! String, $0) })
    }

    func state(_ name: String) throws -> String? { try status()[name]?["state"] as? String }
    func processPID(_ name: String) throws -> Int32? { (try status()[name]?["pid"] as? NSNumber)?.int32Value }

    /// Every line of events.jsonl, parsed.
    func events() -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: stateDirectory + "/events.jsonl", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    func stderrText() -> String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Sends `signal` to Warden and waits for it to exit; returns its exit status.
    @discardableResult
    func terminate(signal: Int32 = SIGTERM, timeout: Double = 40) throws -> Int32 {
        process.signal(signal)
        guard let status = process.waitForExitBlocking(timeout: timeout) else {
            throw HarnessError("timed out after \(timeout) s waiting for warden to exit")
        }
        return status
    }

    deinit {
        // A test that failed midway still leaves nothing behind: a graceful shutdown stops the
        // workers; SIGKILL of Warden alone would orphan them.
        if let process {
            process.signal(SIGTERM)
            if process.waitForExitBlocking(timeout: 20) == nil {
                process.kill()
                _ = process.waitForExitBlocking(timeout: 20)
            }
        }
        // WARDEN_TEST_KEEP=1 keeps the directory (config, Warden's stderr, events, logs) for diagnosis.
        if !keepDirectory && ProcessInfo.processInfo.environment["WARDEN_TEST_KEEP"] == nil {
            try? FileManager.default.removeItem(at: directory)
        }
    }
}

/// A 2 MiB tmpfs mounted at `directory/name` (mode 0700), for full-disk tests (root only). Call the
/// returned closure to unmount it and remove `directory`.
func mountSmallTmpfs(in directory: URL, name: String) throws -> () -> Void {
    let small = directory.appendingPathComponent(name).path
    try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
    let mount = try ChildProcess.runBlocking("/bin/mount", ["-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", small])
    guard mount.status == 0 else { throw HarnessError("mount: \(mount.stderr)") }
    return {
        _ = try? ChildProcess.runBlocking("/bin/umount", ["-l", small])
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` seconds pass.
func waitFor(_ what: String, timeout: Double, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if (try? condition()) == true { return }
        usleep(50_000)
    }
    throw HarnessError("timed out after \(timeout) s waiting for \(what)")
}

/// Whether a process with this pid exists and is not a zombie.
func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z"
}

/// Pids of live processes whose environment contains `entry` (e.g. `WARDEN_TEST_RUN=abc`).
func processes(withEnvironment entry: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
        return data.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == entry } && isAlive(pid)
    }
}

/// Children pids printed by a workload (`child pid=N`, `daemon pid=N`) in its captured stdout log.
func printedPIDs(_ label: String, inLog path: String) -> [Int32] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap { line in
        guard let range = line.range(of: "\(label) pid=") else { return nil }
        return Int32(line[range.upperBound...].prefix { $0.isNumber })
    }
}

extension WardenProcess {
    /// `GET /metrics` on the control socket: the exposition text.
    func metrics() throws -> String {
        let result = try ChildProcess.runBlocking("/usr/bin/curl", ["-sS", "--unix-socket", socketPath, "http://localhost/metrics"])
        guard result.status == 0 else { throw HarnessError("curl /metrics failed: \(result.stderr)") }
        return result.stdout
    }
}
