import Foundation
import Testing
import WardenControlTestSupport
import WardenTestSupport

@Suite("warden --help, check's options and supervisord hints", .enabled(if: wardenBinary != nil, "warden binary not built"))
struct HelpTests {
    @Test("every command has --help (exit 0) naming its options", arguments: [
        (["logs"], ["--follow", "--stderr", "--lines", "--config <FILE>"]),
        (["signal"], ["--group", "<signal>"]),
        (["events"], ["--follow", "--hours", "--process", "--kind"]),
        (["check"], ["--config <FILE>", "WARDEN_CONFIG"]),
        (["status"], ["--socket"]),
        (["top"], ["--interval", "--no-color", "--once", "--socket"]),
    ])
    func help(command: [String], options: [String]) async throws {
        let result = try await warden(command + ["--help"])
        #expect(result.status == 0)
        for option in options { #expect(result.out.contains(option), "\(command) \(option)") }
    }

    @Test("check --help offers only -c: no --socket, which check never uses")
    func checkHelp() async throws {
        let result = try await warden(["check", "--help"])
        #expect(!result.out.contains("--socket"))
        let rejected = try await warden(["check", "--socket", "/tmp/x.sock"])
        #expect(rejected.status == 64)
    }

    @Test("warden --help lists the new commands")
    func rootHelp() async throws {
        let result = try await warden(["--help"])
        for command in ["logs", "signal", "events", "top"] { #expect(result.out.contains("  \(command) ")) }
        #expect(try await warden(["--version"]).out.hasPrefix("warden "))
    }

    @Test("check on a supervisord-style file says what Warden calls each thing")
    func supervisordHabits() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        try "[program:web]\ncommand=python3 -m http.server\nautorestart=true\n"
            .write(toFile: directory + "/s.toml", atomically: true, encoding: .utf8)
        let headers = try await warden(["check", "-c", "s.toml"], in: directory)
        #expect(headers.status == 2)
        // The hint first, then check goes on: supervisord's `command=python3 …` is no TOML value.
        #expect(headers.err.hasPrefix("s.toml:1: supervisord's [program:web] is [programs.web] in Warden\ns.toml:2: "), "\(headers.err)")
        try "[programs.web]\ncommand = [\"web\"]\nautorestart = true\nstartsecs = 3\n"
            .write(toFile: directory + "/s.toml", atomically: true, encoding: .utf8)
        let keys = try await warden(["check", "-c", "s.toml"], in: directory)
        #expect(keys.status == 2)
        #expect(keys.err.contains(#"s.toml:3: programs.web.autorestart: unknown key "autorestart"; supervisord's autorestart is restart = "#))
        #expect(keys.err.contains(#"s.toml:4: programs.web.startsecs: unknown key "startsecs"; supervisord's startsecs is start_seconds"#))
    }

    @Test("without -c, run and check read $WARDEN_CONFIG")
    func environmentConfig() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        try "[programs.web]\ncommand = [\"web\"]\n".write(toFile: directory + "/env.toml", atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["WARDEN_CONFIG"] = directory + "/env.toml"
        let check = try await ChildProcess.run(try #require(wardenBinary), ["check"], environment: environment)
        #expect(check.status == 0)
        #expect(check.stdout == "\(directory)/env.toml: OK (1 program, 1 process)\n")
    }
}
