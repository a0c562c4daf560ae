import Foundation
import Testing
import WardenAPI
import WardenControlTestSupport
import WardenTestSupport

/// The `warden` binary built next to this test bundle (`swift test` builds every product), or `nil`.
let wardenBinary = BuiltProducts.existing("warden")

/// Runs `warden ARGS` to completion off the cooperative pool; returns exit status, stdout and stderr.
func warden(_ arguments: [String], in directory: String? = nil) async throws -> (status: Int32, out: String, err: String) {
    let result = try await ChildProcess.run(try #require(wardenBinary), arguments, directory: directory)
    return (result.status, result.stdout, result.stderr)
}

@Suite("warden CLI against the control API", .enabled(if: wardenBinary != nil, "warden binary not built"))
struct CLITests {
    @Test("status prints the table; --json prints the API document")
    func status() async throws {
        try await withControlServer(FakeSupervisor()) { socket async throws in
            let table = try await warden(["status", "--socket", socket])
            #expect(table.status == 0)
            let lines = table.out.split(separator: "\n").map(String.init)
            #expect(lines.count == 5)
            #expect(lines.first?.hasPrefix("NAME ") == true)
            #expect(lines.first?.hasSuffix("LEAK                    REASON") == true)
            #expect(lines[3].hasPrefix("batch   STOPPED    -"))

            let json = try await warden(["status", "--socket", socket, "--json", "worker"])
            #expect(json.status == 0)
            let list = try JSONDecoder().decode(ProcessList.self, from: Data(json.out.utf8))
            #expect(list.processes == [Fixtures.processes[3]])
            #expect(json.out.contains(#""rss_bytes" : 134217728"#))
        }
    }

    @Test("an unknown name exits 1 with the API's message on stderr")
    func unknownName() async throws {
        try await withControlServer(FakeSupervisor()) { socket async throws in
            let result = try await warden(["status", "--socket", socket, "api", "nope"])
            #expect(result.status == 1)
            #expect(result.out.isEmpty)
            #expect(result.err == "error: unknown process name \"nope\"\n")

            let start = try await warden(["start", "--socket", socket, "nope"])
            #expect(start.status == 1)
        }
    }

    @Test("start/stop/restart print NAME: STATE; a failed action exits 1")
    func actions() async throws {
        let control = FakeSupervisor()
        await control.setFailingPrograms(["worker"])
        try await withControlServer(control) { socket async throws in
            let stop = try await warden(["stop", "--socket", socket, "api:*"])
            #expect(stop.status == 0)
            #expect(stop.out == "api:0: STOPPED (ended pids [101])\napi:1: STOPPED (ended pids [102])\n")

            let start = try await warden(["start", "--socket", socket, "batch", "api:0"])
            #expect(start.out == "api:0: RUNNING\nbatch: RUNNING\n")

            let restart = try await warden(["restart", "--socket", socket, "worker"])
            #expect(restart.status == 1)
            #expect(restart.err.contains("worker could not be started"))

            let none = try await warden(["restart", "--socket", socket])
            #expect(none.status == 64)
        }
    }

    @Test("reload prints changes; an invalid config prints each diagnostic and exits 2")
    func reload() async throws {
        let control = FakeSupervisor()
        try await withControlServer(control) { socket async throws in
            #expect(try await warden(["reload", "--socket", socket]).out == "no changes\n")
            await control.setReloadOutcome(.success(["added program cron"]))
            #expect(try await warden(["reload", "--socket", socket]).out == "added program cron\n")

            let diagnostics = "w.toml:3: programs.api.command: missing required key\nw.toml:7: programs.api.numprocs: must be at least 1"
            await control.setReloadOutcome(.failure(ControlError(.invalidConfig, message: diagnostics)))
            let invalid = try await warden(["reload", "--socket", socket])
            #expect(invalid.status == 2)
            #expect(invalid.err == diagnostics + "\n")
        }
    }

    @Test("with nobody listening every client command exits 3")
    func unreachable() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        for command in [["status"], ["stop", "all"], ["reload"], ["shutdown"]] {
            let result = try await warden(command, in: directory)
            #expect(result.status == 3, "\(command)")
            #expect(result.err.contains("cannot reach Warden at ./.warden/warden.sock"), "\(command)")
            #expect(result.err.contains("(is `warden run` running?)"), "\(command)")
        }
    }

    @Test("-c finds the socket in the config's state_dir; check reports programs and processes")
    func configFile() async throws {
        try await withControlServer(FakeSupervisor()) { socket async throws in
            let stateDirectory = String(socket.dropLast("/warden.sock".count))
            let config = stateDirectory + "/warden.toml"
            try """
                [supervisor]
                state_dir = "\(stateDirectory)"

                [programs.api]
                command = ["sleep", "100"]
                numprocs = 2

                [programs.worker]
                command = ["sleep", "100"]
                """.write(toFile: config, atomically: true, encoding: .utf8)

            let status = try await warden(["status", "-c", config, "worker"])
            #expect(status.status == 0)
            #expect(status.out.contains("\nworker "))

            let check = try await warden(["check", "-c", config])
            #expect(check.status == 0)
            #expect(check.out == "\(config): OK (2 programs, 3 processes)\n")

            // An edit breaks a program: a client does not act on it, even though [supervisor] is valid;
            // --socket still reaches the running Warden.
            try """
                [programs.api]
                command = []

                [ supervisor ]  # moved down
                state_dir = "\(stateDirectory)"

                [programs.worker]
                command = ["sleep", "100"]
                numprocs = 0
                """.write(toFile: config, atomically: true, encoding: .utf8)
            let refused = try await warden(["stop", "-c", config, "worker"])
            #expect(refused.status == 2)
            #expect(refused.out.isEmpty)
            #expect(refused.err.hasPrefix("\(config):2: "))
            let bySocket = try await warden(["stop", "--socket", socket, "worker"])
            #expect(bySocket.status == 0)
            #expect(bySocket.out == "worker: STOPPED (ended pids [201])\n")
            #expect(try await warden(["check", "-c", config]).status == 2)
        }
    }

    @Test("check prints every diagnostic as FILE:LINE: message and exits 2; -c is required")
    func checkInvalid() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        try """
            [programs.api]
            numprocs = 0

            [programs.web]
            command = ["web"]
            stop_timeout = "10"
            """.write(toFile: directory + "/bad.toml", atomically: true, encoding: .utf8)
        let check = try await warden(["check", "-c", "bad.toml"], in: directory)
        #expect(check.status == 2)
        #expect(check.out.isEmpty)
        let lines = check.err.split(separator: "\n").map(String.init)
        #expect(lines.count >= 3)
        #expect(lines.allSatisfy { $0.hasPrefix("bad.toml:") })
        #expect(lines.contains { $0.hasPrefix("bad.toml:6: ") && $0.contains("stop_timeout") })

        let missing = try await warden(["check"], in: directory)
        #expect(missing.status == 64)
        #expect(missing.err.contains("--config"))

        // An invalid [supervisor] table fails a client command the same way.
        try "[supervisor]\nstate_dir = 5\n".write(toFile: directory + "/bad.toml", atomically: true, encoding: .utf8)
        let invalidForStatus = try await warden(["status", "-c", "bad.toml"], in: directory)
        #expect(invalidForStatus.status == 2)
        #expect(invalidForStatus.err.hasPrefix("bad.toml:2: "))
    }

    @Test("every command that takes -c fails on a broken config as check does, without asking Warden")
    func brokenConfig() async throws {
        let control = FakeSupervisor()
        try await withControlServer(control) { socket async throws in
            // Warden is reachable through the file's (valid) [supervisor] table; the errors are elsewhere.
            let stateDirectory = String(socket.dropLast("/warden.sock".count))
            try """
                [supervisor]
                state_dir = "\(stateDirectory)"

                [programs.api]
                numprocs = 0
                """.write(toFile: stateDirectory + "/broken.toml", atomically: true, encoding: .utf8)
            let commands = [
                ["status"], ["status", "--json", "api"], ["start", "all"], ["stop", "all"], ["restart", "all"],
                ["reload"], ["shutdown"], ["pools"], ["alerts"], ["check"], ["run"],
            ]
            for command in commands {
                let result = try await warden(command + ["-c", "broken.toml"], in: stateDirectory)
                #expect(result.status == 2, "\(command)")
                #expect(result.out.isEmpty, "\(command)")
                let lines = result.err.split(separator: "\n").map(String.init)
                #expect(!lines.isEmpty, "\(command)")
                #expect(lines.allSatisfy { $0.hasPrefix("broken.toml:4: ") || $0.hasPrefix("broken.toml:5: ") },
                        "\(command): \(result.err)")
            }
            #expect(await control.calls.isEmpty)
            #expect(await control.shutdownRequested == false)
        }
    }
}
