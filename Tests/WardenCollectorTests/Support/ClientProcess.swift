import Foundation
import WardenPluginProtocol
import WardenTestSupport

/// A client program (psql, pgbench, a shell holding several psql) run as a stand-in for a supervised
/// worker: its own process tree, its stdin a pipe the test keeps open (so psql sessions stay connected
/// until `finish()`), stdout/stderr discarded.
final class ClientProcess: Sendable {
    private let child: ChildProcess

    var pid: Int32 { child.pid }

    /// Starts `executable arguments` with `environment`.
    init(_ executable: String, _ arguments: [String], environment: [String: String]) throws {
        child = try ChildProcess(
            executable, arguments, environment: environment, input: true, stdout: .discard, stderr: .discard)
    }

    /// `count` psql sessions to the app database over TCP (over the unix socket with `socket: true`), all
    /// children of one `sh` (the worker's main pid): each reads SQL from the shared stdin pipe, so they stay
    /// connected until `finish()`.
    static func heldSessions(
        _ count: Int, server: PostgresServer, applicationName: String, socket: Bool = false
    ) throws -> ClientProcess {
        var environment = server.clientEnvironment(applicationName: applicationName)
        if socket { environment["PGHOST"] = server.directory }
        // Background commands of a non-interactive shell get /dev/null as stdin unless redirected.
        let one = "psql -X -q -v ON_ERROR_STOP=1 <&3 &"
        let script = "exec 3<&0; " + Array(repeating: one, count: count).joined(separator: " ") + " wait"
        return try ClientProcess("/bin/sh", ["-c", script], environment: environment)
    }

    /// One psql session to the app database over TCP (or over the unix socket with `socket: true`).
    static func psql(server: PostgresServer, applicationName: String, socket: Bool = false) throws -> ClientProcess {
        var environment = server.clientEnvironment(applicationName: applicationName)
        if socket { environment["PGHOST"] = server.directory }
        return try ClientProcess("/usr/bin/psql", ["-X", "-q"], environment: environment)
    }

    /// Writes SQL to the program's stdin (psql runs each statement once its line is complete).
    func write(_ text: String) throws {
        try child.write(Data(text.utf8))
    }

    /// The worker description Warden would send in `collect`: main pid plus every descendant.
    func worker(named name: String, program: String) -> WorkerTree {
        WorkerTree(name: name, program: program, pid: pid, treePIDs: ProcessTree.pids(root: pid))
    }

    /// Exit status, or `nil` if still running after `timeout` seconds.
    func waitForExit(timeout: Double) async -> Int32? { await child.waitForExit(timeout: timeout) }

    /// Cleanup on any path (no waiting): closes stdin and SIGKILLs the tree if it is still running.
    func terminate() {
        try? child.closeInput()
        guard child.isRunning else { return }
        for member in ProcessTree.pids(root: pid) { kill(member, SIGKILL) }
    }

    /// Closes stdin (psql quits at end of input), then SIGTERMs the whole tree, then SIGKILLs it.
    func finish() async {
        try? child.closeInput()
        if await waitForExit(timeout: 3) != nil { return }
        let tree = ProcessTree.pids(root: pid)
        for member in tree { kill(member, SIGTERM) }
        if await waitForExit(timeout: 3) != nil { return }
        for member in ProcessTree.pids(root: pid) { kill(member, SIGKILL) }
        _ = await waitForExit(timeout: 3)
    }
}

/// Process trees from `/proc/PID/stat` parent links.
enum ProcessTree {
    /// `root` and all its descendants.
    static func pids(root: Int32) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { children[parent, default: []].append(pid) }
        }
        var result: [Int32] = [], queue = [root]
        while let next = queue.popLast() {
            result.append(next)
            queue += children[next] ?? []
        }
        return result
    }
}
