import Foundation
import Testing
import WardenControlTestSupport
import WardenTestSupport

@Suite("warden check warns about what this machine lacks", .enabled(if: wardenBinary != nil, "warden binary not built"))
struct CheckWarningsTests {
    @Test("a state_dir group or others can write: check warns in run's words (--strict exits 4), and run refuses it")
    func unsafeStateDirectory() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        try FileManager.default.createDirectory(atPath: directory + "/state", withIntermediateDirectories: false)
        chmod(directory + "/state", 0o777)
        try "[supervisor]\nstate_dir = \"state\"\n\n[programs.api]\ncommand = [\"sleep\", \"1\"]\n"
            .write(toFile: directory + "/w.toml", atomically: true, encoding: .utf8)
        let refusal = "state_dir \(directory)/state is writable by group or others (mode 0777): refusing to use it; chmod 700 \(directory)/state"
        let check = try await warden(["check", "-c", "w.toml"], in: directory)
        #expect(check.status == 0)
        #expect(check.err == "w.toml:2: warning: supervisor.state_dir: warden run would refuse it: \(refusal)\n", "\(check.err)")
        #expect(try await warden(["check", "--strict", "-c", "w.toml"], in: directory).status == 4)
        let run = try await warden(["run", "-c", "w.toml"], in: directory)
        #expect(run.status == 1 && run.err.contains(refusal), "\(run.err)")
        chmod(directory + "/state", 0o700)
        #expect(try await warden(["check", "--strict", "-c", "w.toml"], in: directory).err.isEmpty)
    }

    @Test("missing directory, command and plugin: warnings at their lines, exit 0; --strict exits 4")
    func warnings() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        try """
            [programs.api]
            command = ["sleep", "1"]
            directory = "/nonexistent/app"

            [programs.leak]
            command = ["./leak.py"]

            [programs.ghost]
            command = ["no-such-command-i13"]

            [programs.fine]
            command = ["sleep", "1"]

            [collectors.pg]
            plugin = "plugins/missing-collector"
            """.write(toFile: directory + "/w.toml", atomically: true, encoding: .utf8)
        let check = try await warden(["check", "-c", "w.toml"], in: directory)
        #expect(check.status == 0)
        #expect(check.out == "w.toml: OK (4 programs, 4 processes, 1 collector)\n")
        let lines = check.err.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(check.err)")
        #expect(lines.contains("w.toml:3: warning: programs.api.directory: directory /nonexistent/app does not exist"))
        #expect(lines.contains("w.toml:6: warning: programs.leak.command: cannot find executable \"./leak.py\" (no executable file at \(directory)/leak.py)"))
        #expect(lines.contains { $0.hasPrefix("w.toml:9: warning: programs.ghost.command: cannot find executable \"no-such-command-i13\" (looked in /") })
        #expect(lines.contains("w.toml:15: warning: collectors.pg.plugin: cannot find executable \"\(directory)/plugins/missing-collector\" (no executable file at \(directory)/plugins/missing-collector)"))

        let strict = try await warden(["check", "--strict", "-c", "w.toml"], in: directory)
        #expect(strict.status == 4)
        #expect(strict.err == check.err)

        try "[programs.fine]\ncommand = [\"sleep\", \"1\"]\n".write(toFile: directory + "/w.toml", atomically: true, encoding: .utf8)
        let clean = try await warden(["check", "--strict", "-c", "w.toml"], in: directory)
        #expect(clean.status == 0 && clean.err.isEmpty)
    }

    @Test("a missing directory does not hide a missing command; a misspelt plugin gets the installed one's name")
    func everyProblemAndPluginHint() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        try """
            [programs.both]
            command = ["./nothere.py"]
            directory = "/nonexistent/both"

            [collectors.pg]
            plugin = "warden-collector-postgre"
            """.write(toFile: directory + "/w.toml", atomically: true, encoding: .utf8)
        let check = try await warden(["check", "-c", "w.toml"], in: directory)
        let lines = check.err.split(separator: "\n").map(String.init)
        #expect(check.status == 0 && lines.count == 3, "\(check.err)")
        #expect(lines.contains("w.toml:3: warning: programs.both.directory: directory /nonexistent/both does not exist"))
        #expect(lines.contains("w.toml:2: warning: programs.both.command: cannot find executable \"./nothere.py\" (no executable file at \(directory)/nothere.py)"))
        let plugin = try #require(lines.first { $0.hasPrefix("w.toml:6: warning: collectors.pg.plugin: cannot find executable \"warden-collector-postgre\"") })
        #expect(plugin.hasSuffix("; did you mean \"warden-collector-postgres\"?"), "\(plugin)")
    }
}
