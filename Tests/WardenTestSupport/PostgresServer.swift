import Foundation
import Synchronization

/// A throwaway PostgreSQL cluster for tests: `initdb` in a fresh temporary directory, a `postgres` server on
/// `127.0.0.1:<free port>` with its unix socket in that same directory, `fsync=off`.
///
/// Roles (passwords are generated per cluster):
/// - `postgres`: superuser; trusted over the unix socket (`superuserSQL`), password over TCP.
/// - `warden_monitor`: `LOGIN`, member of `pg_monitor` (sees every session's state and client address).
/// - `warden_app`: `LOGIN`, owner of the database `app` (for psql/pgbench workloads over TCP).
///
/// TCP logins use `scram-sha-256`, so a wrong password is refused. `max_connections` is 50 unless `start`
/// is given another, and `superuser_reserved_connections` 3, so the usable limit is 47 connections.
///
/// `initdb` and `pg_ctl` refuse to run as root; as root every server tool runs as the `postgres` OS user
/// (`runuser -u postgres --`). The server stops when `stop()` is called, at process exit, or — if the test
/// process dies without exiting normally — within about a second, by a detached watchdog that also deletes
/// the directory. Starting takes about one second on an idle machine (initdb ≈ 0.5 s, start ≈ 0.2 s, roles ≈ 0.1 s).
public final class PostgresServer: Sendable {
    /// The cluster shared by every test of this process, started on first use.
    public static let shared = Task { try await PostgresServer.start() }

    /// Listen address of the server.
    public let host = "127.0.0.1"
    /// TCP port on `host`.
    public let port: Int
    /// Directory holding the data directory (`data/`), the server log (`server.log`) and the unix socket.
    public let directory: String
    /// Directory of `initdb`, `pg_ctl`, `postgres`: the newest `/usr/lib/postgresql/N/bin`.
    public let binDirectory: String
    /// Server setting `max_connections` (connections).
    public let maxConnections: Int
    /// Server setting `superuser_reserved_connections` (connections).
    public let superuserReservedConnections = 3
    /// Monitoring role (member of `pg_monitor`) and its password.
    public let monitorRole = "warden_monitor"
    public let monitorPassword: String
    /// Application role (owner of `database`) and its password.
    public let appRole = "warden_app"
    public let appPassword: String
    /// Database owned by `appRole`.
    public let database = "app"

    private let superuserPassword: String
    private let stopped = Mutex(false)

    private init(port: Int, directory: String, binDirectory: String, passwords: [String], maxConnections: Int) {
        self.maxConnections = maxConnections
        self.port = port; self.directory = directory; self.binDirectory = binDirectory
        self.superuserPassword = passwords[0]; self.monitorPassword = passwords[1]; self.appPassword = passwords[2]
    }

    /// `postgres://ROLE:PASSWORD@127.0.0.1:PORT/DATABASE` (the password percent-encoded).
    public func url(role: String? = nil, password: String? = nil, database: String? = nil) -> String {
        let user = role ?? monitorRole
        let secret = password ?? (user == appRole ? appPassword : monitorPassword)
        let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? secret
        return "postgres://\(user):\(encoded)@\(host):\(port)/\(database ?? self.database)"
    }

    /// libpq environment for a client (psql, pgbench) that connects over TCP as `appRole` to `database`.
    public func clientEnvironment(applicationName: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["PGHOST"] = host; environment["PGPORT"] = String(port)
        environment["PGUSER"] = appRole; environment["PGPASSWORD"] = appPassword
        environment["PGDATABASE"] = database; environment["PGAPPNAME"] = applicationName
        environment["PGCONNECT_TIMEOUT"] = "5"
        return environment
    }

    /// `clientEnvironment`'s libpq variables as a TOML inline table's body, for a program's `environment = { … }`.
    public func clientEnvironmentTOML(applicationName: String) -> String {
        let environment = clientEnvironment(applicationName: applicationName)
        return ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGCONNECT_TIMEOUT"]
            .map { "\($0) = \"\(environment[$0] ?? "")\"" }.joined(separator: ", ")
    }

    /// `[collectors.postgres]` watching this server every 500 ms, with `long_running = "1s"` and the
    /// `thresholds` lines (TOML) added to its thresholds table.
    public func collectorTOML(thresholds: String) -> String {
        """
        [collectors.postgres]
        plugin = "warden-collector-postgres"
        interval = "500ms"
        config = { url = "\(url())" }
        [collectors.postgres.thresholds]
        long_running = "1s"
        \(thresholds)
        """
    }

    /// `[programs.NAME]`: psql holding one transaction open (`idle in transaction`) for 15 min, as `appRole`.
    public func idleTransactionTOML(program: String, applicationName: String) -> String {
        """
        [programs.\(program)]
        command = ["/bin/sh", "-c", "(echo 'BEGIN; SELECT 1;'; sleep 900) | psql -X -q"]
        environment = { \(clientEnvironmentTOML(applicationName: applicationName)) }
        start_seconds = "200ms"
        """
    }

    /// Runs `sql` with psql as the superuser over the unix socket (`-X -A -t -q`, stop on first error) and
    /// returns its stdout, trimmed. Throws `PostgresServerError.toolFailed` with psql's stderr on failure.
    public func superuserSQL(_ sql: String, database: String = "postgres") async throws -> String {
        let result = try await Self.runAsServerUser(
            binDirectory: binDirectory, directory: directory, tool: "/usr/bin/psql",
            arguments: ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", directory, "-p", String(port),
                        "-U", "postgres", "-d", database, "-c", sql])
        return result.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server (`pg_ctl stop -m fast`); later calls do nothing. Blocks the calling thread for up to
    /// a few seconds, so call it from a test's end or from `atexit`, not from a busy cooperative thread.
    public func stop() {
        let first = stopped.withLock { wasStopped in
            defer { wasStopped = true }
            return !wasStopped
        }
        guard first else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.asServerUser.executable)
        process.arguments = Self.asServerUser.prefix + [
            "\(binDirectory)/pg_ctl", "-D", "\(directory)/data", "-m", "fast", "-w", "-t", "10", "stop"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        if (try? process.run()) != nil { process.waitUntilExit() }
    }

    // MARK: - Starting

    /// Creates and starts a new cluster. See the type's documentation for what it contains.
    /// - Parameter maxConnections: the server's `max_connections` (3 of them reserved for superusers).
    public static func start(maxConnections: Int = 50) async throws -> PostgresServer {
        guard let binDirectory = newestBinDirectory() else {
            throw PostgresServerError.notInstalled("no /usr/lib/postgresql/*/bin/initdb (run scripts/install-test-deps.sh)")
        }
        let directory = try makeDirectory()
        let passwords = (0..<3).map { _ in randomPassword() }
        let pwfile = "\(directory)/superuser.pw"
        try (passwords[0] + "\n").write(toFile: pwfile, atomically: false, encoding: .utf8)
        try chownToServerUser(pwfile)

        _ = try await runAsServerUser(
            binDirectory: binDirectory, directory: directory, tool: "\(binDirectory)/initdb",
            arguments: ["-D", "\(directory)/data", "-U", "postgres", "--pwfile", pwfile, "-E", "UTF8",
                        "--locale=C.UTF-8", "--no-sync", "--auth-local=trust", "--auth-host=scram-sha-256"])
        try? FileManager.default.removeItem(atPath: pwfile)

        var lastError: (any Error)?
        for _ in 0..<3 {  // the free port may be taken between probing and binding: retry on another one
            let port = FreePort.loopback()
            do {
                try await startPostmaster(binDirectory: binDirectory, directory: directory, port: port,
                                          maxConnections: maxConnections)
            } catch {
                lastError = error
                continue
            }
            let server = PostgresServer(port: port, directory: directory, binDirectory: binDirectory, passwords: passwords,
                                        maxConnections: maxConnections)
            Cleanup.register(server)
            try startWatchdog(server)
            try await server.createRoles()
            return server
        }
        throw lastError ?? PostgresServerError.toolFailed("postgres", "no attempt made")
    }

    /// Runs `postgres` as a direct child (not daemonized by `pg_ctl start`: a daemon would inherit the
    /// descriptor Foundation uses to notice a child's exit and keep `Process` waiting forever), then polls
    /// `pg_isready` until it accepts connections. Throws when the server exits first (port taken) or is not
    /// ready within 20 s.
    private static func startPostmaster(binDirectory: String, directory: String, port: Int, maxConnections: Int) async throws {
        let log = "\(directory)/server.log"
        if !FileManager.default.fileExists(atPath: log) {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            try chownToServerUser(log)
        }
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? logHandle.close() }
        try logHandle.seekToEnd()
        let exited = ExitFlag()
        let postmaster = Process()
        postmaster.executableURL = URL(fileURLWithPath: asServerUser.executable)
        postmaster.arguments = asServerUser.prefix + [
            "\(binDirectory)/postgres", "-D", "\(directory)/data", "-p", String(port), "-k", directory,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=\(maxConnections)",
            "-c", "superuser_reserved_connections=3",
        ]
        postmaster.currentDirectoryURL = URL(fileURLWithPath: directory)
        postmaster.standardInput = FileHandle.nullDevice
        postmaster.standardOutput = logHandle
        postmaster.standardError = logHandle
        postmaster.terminationHandler = { _ in exited.set() }
        try postmaster.run()

        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if exited.isSet {
                let tail = (try? String(contentsOfFile: log, encoding: .utf8))?.suffix(2000) ?? ""
                throw PostgresServerError.toolFailed("postgres exited at start", String(tail))
            }
            let ready = try? await runAsServerUser(
                binDirectory: binDirectory, directory: directory, tool: "\(binDirectory)/pg_isready",
                arguments: ["-q", "-h", directory, "-p", String(port), "-t", "1"])
            if ready != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(postmaster.processIdentifier, SIGKILL)
        throw PostgresServerError.toolFailed("postgres", "not accepting connections after 20 s; see \(log)")
    }

    private func createRoles() async throws {
        // One statement per psql call: CREATE DATABASE cannot run inside the implicit transaction of a
        // multi-statement query string.
        _ = try await superuserSQL("CREATE ROLE \(monitorRole) LOGIN PASSWORD '\(monitorPassword)' IN ROLE pg_monitor")
        _ = try await superuserSQL("CREATE ROLE \(appRole) LOGIN PASSWORD '\(appPassword)'")
        _ = try await superuserSQL("CREATE DATABASE \(database) OWNER \(appRole)")
    }

    private static func newestBinDirectory() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.compactMap(Int.init).sorted().reversed()
            .map { "\(root)/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }

    private static func makeDirectory() throws -> String {
        var template = Array("/tmp/warden-pg-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw PostgresServerError.toolFailed("mkdtemp", String(cString: strerror(errno)))
        }
        let path = String(cString: made)
        chmod(path, 0o755)
        try chownToServerUser(path)
        return path
    }

    private static func randomPassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<20).map { _ in alphabet.randomElement()! })
    }

    /// When Warden's tests run as root, server tools run as the `postgres` OS user.
    private static let asServerUser: (executable: String, prefix: [String]) =
        geteuid() == 0 ? ("/usr/sbin/runuser", ["-u", "postgres", "--"]) : ("/usr/bin/env", [])

    private static func chownToServerUser(_ path: String) throws {
        guard geteuid() == 0 else { return }
        guard let entry = getpwnam("postgres") else {
            throw PostgresServerError.notInstalled("no `postgres` OS user (is the postgresql package installed?)")
        }
        guard chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
            throw PostgresServerError.toolFailed("chown \(path)", String(cString: strerror(errno)))
        }
    }

    /// Runs a server tool (as the `postgres` OS user when root) without blocking a cooperative thread:
    /// output goes to a file in `directory`, the exit is awaited through the termination handler.
    /// Returns stdout; throws `toolFailed` with stderr on a non-zero exit.
    private static func runAsServerUser(
        binDirectory: String, directory: String, tool: String, arguments: [String]
    ) async throws -> String {
        let name = URL(fileURLWithPath: tool).lastPathComponent
        let stamp = UUID().uuidString
        let outPath = "\(directory)/.\(name)-\(stamp).out", errPath = "\(directory)/.\(name)-\(stamp).err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: asServerUser.executable)
        process.arguments = asServerUser.prefix + [tool] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try? out.close(); try? err.close()
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw PostgresServerError.toolFailed("\(name) exited \(status)", stderr + stdout)
        }
        return stdout
    }

    /// A detached shell (its own session, so a signal to the test's process group spares it) that waits for
    /// this test process to disappear, then stops the server at once and deletes the directory.
    private static func startWatchdog(_ server: PostgresServer) throws {
        let me = getpid()
        let stop = (asServerUser.prefix.isEmpty ? [] : [asServerUser.executable] + asServerUser.prefix)
            + ["\(server.binDirectory)/pg_ctl", "-D", "\(server.directory)/data", "-m", "immediate", "stop"]
        let script = """
            while kill -0 \(me) 2>/dev/null; do sleep 1; done
            \(stop.map(shellQuoted).joined(separator: " ")) >/dev/null 2>&1
            rm -rf \(shellQuoted(server.directory))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["/bin/sh", "-c", script]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    private static func shellQuoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Why a `PostgresServer` could not be started or used.
public enum PostgresServerError: Error, CustomStringConvertible {
    /// PostgreSQL's server packages are missing.
    case notInstalled(String)
    /// A tool failed: what ran, and its output.
    case toolFailed(String, String)

    public var description: String {
        switch self {
        case .notInstalled(let why): "PostgreSQL is not installed: \(why)"
        case .toolFailed(let what, let output): "\(what): \(output)"
        }
    }
}

/// Set once, by a termination handler on a Dispatch thread; read by the starting task.
private final class ExitFlag: Sendable {
    private let state = Mutex(false)
    func set() { state.withLock { $0 = true } }
    var isSet: Bool { state.withLock { $0 } }
}

/// Stops every started server when the test process exits normally.
private enum Cleanup {
    static let servers = Mutex<[PostgresServer]>([])
    static let installed = Mutex(false)

    static func register(_ server: PostgresServer) {
        servers.withLock { $0.append(server) }
        let first = installed.withLock { done in
            defer { done = true }
            return !done
        }
        if first { atexit { Cleanup.stopAll() } }
    }

    static func stopAll() {
        for server in servers.withLock({ $0 }) { server.stop() }
    }
}
