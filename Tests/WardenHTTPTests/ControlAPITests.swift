import Foundation
import Logging
import ServiceLifecycle
import Testing
import WardenAPI
import WardenClient
import WardenCore
import WardenControlTestSupport
import WardenHTTP
import WardenTestSupport

/// The real control server on a real unix socket, driven by the real client (and raw HTTP, and curl).
@Suite("Control API over a unix socket")
struct ControlAPITests {
    @Test("status without names lists every process, every field intact")
    func statusAll() async throws {
        let control = FakeSupervisor()
        let processes = try await withControlServer(control) { socket async throws in
            try await WardenClient(socketPath: socket).status()
        }
        #expect(processes == Fixtures.processes.sorted { $0.name < $1.name })
        #expect(processes.map(\.name) == ["api:0", "api:1", "batch", "worker"])
    }

    @Test("status with names: program name, PROGRAM:* and instance name")
    func statusNamed() async throws {
        let control = FakeSupervisor()
        try await withControlServer(control) { socket async throws in
            let client = WardenClient(socketPath: socket)
            #expect(try await client.status(names: ["api"]).map(\.name) == ["api:0", "api:1"])
            #expect(try await client.status(names: ["api:*"]).map(\.name) == ["api:0", "api:1"])
            #expect(try await client.status(names: ["worker", "api:1"]).map(\.name) == ["api:1", "worker"])
        }
        let calls = await control.calls
        #expect(calls.contains("status [\"worker\", \"api:1\"]"))
    }

    @Test("an unknown name is a 404 carrying the supervisor's field and message")
    func unknownName() async throws {
        try await withControlServer(FakeSupervisor()) { socket async throws in
            let client = WardenClient(socketPath: socket)
            let error = await #expect(throws: WardenClientError.self) { try await client.status(names: ["nope"]) }
            guard case .api(let status, let body) = error else {
                Issue.record("expected an API error, got \(String(describing: error))")
                return
            }
            #expect(status == 404)
            #expect(body == APIErrorBody(field: "names", message: "unknown process name \"nope\""))
            #expect(error?.description == "unknown process name \"nope\"")

            await #expect(throws: WardenClientError.api(
                status: 404, error: APIErrorBody(field: "names", message: "unknown process name \"ghost\""))
            ) { try await client.stop(names: ["api", "ghost"]) }
        }
    }

    @Test("start, stop and restart return the statuses the supervisor reports")
    func actions() async throws {
        let control = FakeSupervisor()
        try await withControlServer(control) { socket async throws in
            let client = WardenClient(socketPath: socket)
            let started = try await client.start(names: ["batch"])
            #expect(started.map(\.name) == ["batch"])
            #expect(started.map(\.state) == [.running])
            #expect(started.first?.pid == 4244)

            let stopped = try await client.stop(names: ["api:*"])
            #expect(stopped.map(\.name) == ["api:0", "api:1"])
            #expect(stopped.allSatisfy { $0.state == .stopped && $0.pid == nil })

            let restarted = try await client.restart(names: ["all"])
            #expect(restarted.count == 4)
            #expect(restarted.allSatisfy { $0.state == .running && $0.lastRestartReason == "manual" })
        }
        let calls = await control.calls
        #expect(calls == ["start [\"batch\"]", "stop [\"api:*\"]", "restart [\"all\"]"])
    }

    @Test("a failed action is a 409, shutting down a 503")
    func failedAction() async throws {
        let control = FakeSupervisor()
        await control.setFailingPrograms(["worker"])
        try await withControlServer(control) { socket async throws in
            let client = WardenClient(socketPath: socket)
            let error = await #expect(throws: WardenClientError.self) { try await client.restart(names: ["worker"]) }
            #expect(error?.status == 409)
            #expect(error?.description == "worker could not be started: exited too quickly (FATAL)")

            await control.setShuttingDown()
            let refused = await #expect(throws: WardenClientError.self) { try await client.start(names: ["api"]) }
            #expect(refused?.status == 503)
        }
    }

    @Test("reload: changes on success, 422 with every diagnostic on an invalid file")
    func reload() async throws {
        let control = FakeSupervisor()
        try await withControlServer(control) { socket async throws in
            let client = WardenClient(socketPath: socket)
            #expect(try await client.reload() == [])

            await control.setReloadOutcome(.success(["added program cron", "changed program api: restarting 2"]))
            #expect(try await client.reload() == ["added program cron", "changed program api: restarting 2"])

            let diagnostics = [
                "/etc/warden.toml:4: programs.api.stop_timeout: duration \"10\" has no unit; write e.g. \"10s\"",
                "/etc/warden.toml:9: programs.api.leak.rss_max: unknown size unit \"X\"",
            ]
            await control.setReloadOutcome(
                .failure(ControlError(.invalidConfig, message: diagnostics.joined(separator: "\n"))))
            let error = await #expect(throws: WardenClientError.self) { try await client.reload() }
            guard case .api(let status, let body) = error else {
                Issue.record("expected an API error, got \(String(describing: error))")
                return
            }
            #expect(status == 422)
            #expect(body.error.message.split(separator: "\n").map(String.init) == diagnostics)
        }
    }

    @Test("malformed JSON, missing or mistyped names and empty bodies are 400s naming the field")
    func badRequests() async throws {
        try await withControlServer(FakeSupervisor()) { socket async throws in
            func error(_ body: String, path: String = APIRoute.start) async throws -> (Int, APIErrorBody) {
                let answer = try await rawHTTP(socketPath: socket, rawPOST(path, body: body))
                return (answer.status, try JSONDecoder().decode(APIErrorBody.self, from: Data(answer.body.utf8)))
            }
            let malformed = try await error(#"{"names": ["api""#)
            #expect(malformed.0 == 400)
            #expect(malformed.1.error.field == "body")
            #expect(malformed.1.error.message.contains("not valid JSON"))

            let missing = try await error(#"{"name": ["api"]}"#, path: APIRoute.stop)
            #expect(missing.0 == 400)
            #expect(missing.1.error.field == "names")
            #expect(missing.1.error.message.contains("missing \"names\""))

            let mistyped = try await error(#"{"names": "api"}"#, path: APIRoute.restart)
            #expect(mistyped.0 == 400)
            #expect(mistyped.1.error.field == "names")

            let empty = try await error(#"{"names": []}"#)
            #expect(empty.0 == 400)
            #expect(empty.1.error.field == "names")

            let noBody = try await error("")
            #expect(noBody.0 == 400)
            #expect(noBody.1.error.field == "body")
            #expect(noBody.1.error.message.contains("empty"))

            let array = try await error(#"["api"]"#)
            #expect(array.0 == 400)
            #expect(array.1.error.field == "body")

            let huge = try await error(#"{"names": [""# + String(repeating: "a", count: 1_100_000) + #""]}"#)
            #expect(huge.0 == 413)
            #expect(huge.1.error.field == "body")
        }
    }

    @Test("GET /v1/processes/NAME: one process; 404 naming an unknown one; 400 for a name standing for several")
    func oneProcess() async throws {
        try await withControlServer(FakeSupervisor()) { socket async throws in
            func get(_ path: String) async throws -> (status: Int, head: String, body: String) {
                try await rawHTTP(socketPath: socket, "GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            }
            for name in ["worker", "api:1", "api%3A1"] {
                let answer = try await get("/v1/processes/\(name)")
                #expect(answer.status == 200, "\(name): \(answer.body)")
                let process = try JSONDecoder().decode(ProcessStatus.self, from: Data(answer.body.utf8))
                #expect(process == Fixtures.processes.first { $0.name == name.replacingOccurrences(of: "%3A", with: ":") })
            }
            let unknown = try await get("/v1/processes/ghost")
            #expect(unknown.status == 404)
            let body = try JSONDecoder().decode(APIErrorBody.self, from: Data(unknown.body.utf8))
            #expect(body == APIErrorBody(field: "name", message: "no such process: ghost"))
            for (path, message) in [
                ("/v1/processes/api", "api has 2 instances (api:0, api:1); name one, or use GET /v1/processes?name=api"),
                ("/v1/processes/all", "all names several processes; use GET /v1/processes?name=all"),
            ] {
                let several = try await get(path)
                #expect(several.status == 400)
                let error = try JSONDecoder().decode(APIErrorBody.self, from: Data(several.body.utf8))
                #expect(error == APIErrorBody(field: "name", message: message))
            }
            // The history route below a process still answers (404 without a history store here).
            #expect(try await get("/v1/processes/worker/history").status == 404)
        }
    }

    @Test("unknown routes and garbage requests get answers, and the server keeps serving")
    func neverCrashes() async throws {
        try await withControlServer(FakeSupervisor()) { socket async throws in
            let notFound = try await rawHTTP(
                socketPath: socket, "GET /v2/nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            #expect(notFound.status == 404)
            let body = try JSONDecoder().decode(APIErrorBody.self, from: Data(notFound.body.utf8))
            #expect(body.error.message == "no route GET /v2/nothing")
            #expect(notFound.body.contains(#""field":null"#), "the README's error shape: field null when no field is at fault")

            let wrongMethod = try await rawHTTP(
                socketPath: socket, "GET /v1/processes/start HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.head.lowercased().contains("\r\nallow: post\r\n"))
            let wrongBody = try JSONDecoder().decode(APIErrorBody.self, from: Data(wrongMethod.body.utf8))
            #expect(wrongBody.error.message == "GET not allowed on /v1/processes/start; use POST")
            let deleteHealth = try await rawHTTP(
                socketPath: socket, "DELETE /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(deleteHealth.status == 405)

            let emptyName = try await rawHTTP(
                socketPath: socket, "GET /v1/processes?name= HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(emptyName.status == 400)

            // Not HTTP at all: the server may answer 400 or just close; it must not go down.
            _ = try? await rawHTTP(socketPath: socket, "\u{01}\u{02}garbage\r\n\r\n")
            #expect(try await WardenClient(socketPath: socket).health().status == "ok")
        }
    }

    @Test("the socket file is mode 0600, gone after shutdown, and serves this process")
    func socketFile() async throws {
        let path = try await withControlServer(FakeSupervisor()) { socket async throws in
            var info = stat()
            #expect(stat(socket, &info) == 0)
            #expect(info.st_mode & S_IFMT == S_IFSOCK)
            #expect(info.st_mode & 0o777 == 0o600)
            #expect(WardenClient(socketPath: socket).serverProcessID() == getpid())
            return socket
        }
        #expect(access(path, F_OK) != 0)
        #expect(!WardenClient(socketPath: path).isReachable())
        #expect(await WardenClient(socketPath: path).waitUntilGone(processID: nil, timeout: .seconds(1)))
    }

    @Test("a second server on a live socket refuses to start and leaves the first one serving")
    func alreadyRunning() async throws {
        try await withControlServer(FakeSupervisor()) { socket async throws in
            let second = makeControlServer(
                control: FakeSupervisor(), socketPath: socket, logger: Logger(label: "warden.test.second"))
            await #expect(throws: ControlServerError.alreadyRunning(path: socket)) { try await second.run() }
            #expect(try await WardenClient(socketPath: socket).status().count == 4)
        }
    }

    @Test("shutdown answers 202 {} after asking the supervisor")
    func shutdown() async throws {
        let control = FakeSupervisor()
        try await withControlServer(control) { socket async throws in
            let answer = try await rawHTTP(socketPath: socket, rawPOST(APIRoute.shutdown, body: ""))
            #expect(answer.status == 202)
            #expect(answer.body == "{}\n")
            try await WardenClient(socketPath: socket).shutdown()
        }
        #expect(await control.shutdownRequested)
    }

    @Test("health answers status ok and the notify counters, with sorted-key JSON")
    func health() async throws {
        try await withControlServer(FakeSupervisor()) { socket async throws in
            let answer = try await rawHTTP(
                socketPath: socket, "GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            #expect(answer.status == 200)
            #expect(answer.body == #"{"notify_datagrams":{"accepted":1,"malformed":2,"unknown_sender":3},"status":"ok"}"# + "\n")

            let list = try await rawHTTP(
                socketPath: socket,
                "GET /v1/processes?name=batch HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            #expect(list.body.hasPrefix(#"{"processes":[{"cleanup_signal":null,"cpu_percent":null,"description":"not started","fds":null,"forecast":null,"#))
        }
    }

    @Test("a client without a server reports where it looked and what to do")
    func cannotConnect() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let socket = directory + "/warden.sock"
        let error = await #expect(throws: WardenClientError.self) { try await WardenClient(socketPath: socket).status() }
        guard case .cannotConnect(let path, let reason) = error else {
            Issue.record("expected cannotConnect, got \(String(describing: error))")
            return
        }
        #expect(path == socket)
        #expect(reason == "No such file or directory")
        #expect(error?.description == "cannot reach Warden at \(socket): No such file or directory (is `warden run` running?)")
    }

    @Test("curl --unix-socket speaks to the API", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")))
    func curl() async throws {
        try await withControlServer(FakeSupervisor()) { socket async throws in
            let curl = try await ChildProcess.run("/usr/bin/curl", [
                "-sS", "--unix-socket", socket, "-X", "POST", "-H", "Content-Type: application/json",
                "-d", #"{"names":["worker"]}"#, "-w", "\n%{http_code}", "http://localhost/v1/processes/stop",
            ])
            let (status, text) = (curl.status, curl.stdout)
            #expect(status == 0)
            #expect(text.hasSuffix("\n200"))
            let json = text.components(separatedBy: "\n").first ?? ""
            let result = try JSONDecoder().decode(ProcessActionResult.self, from: Data(json.utf8))
            #expect(result.processes.map(\.name) == ["worker"])
            #expect(result.processes.first?.state == .stopped)
        }
    }
}
