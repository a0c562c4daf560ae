import Crypto
import Foundation
import Testing
import WardenTestSupport

/// `[notify.NAME]` sinks end to end: a real Warden with a leaking and a failing worker POSTs to a real HTTP
/// receiver; the json body is the events.jsonl line, signed; the slack body is one readable line.
@Suite("Notifications end to end", .serialized)
struct NotificationTests {
    /// The `[supervisor]` table of these tests: sampling every 100 ms.
    static let supervisor = """
        [supervisor]
        state_dir = "state"
        sample_interval = "100ms"
        shutdown_timeout = "10s"
        """

    /// A private secret file in a fresh directory; returns (directory, path, secret).
    static func secretFile() throws -> (String, String, String) {
        let directory = NSTemporaryDirectory() + "warden-secret-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/secret"
        let secret = "s3cret-" + UUID().uuidString
        try (secret + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)
        return (directory, path, secret)
    }

    static func hmacHex(_ body: [UInt8], key: String) -> String {
        HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(key.utf8)))
            .map { String(format: "%02x", $0) }.joined()
    }

    @Test("json (signed, the events.jsonl line) and slack (one line, filtered) for a memory-growth restart and a FATAL worker")
    func jsonAndSlack() async throws {
        let (secretDirectory, secretPath, secret) = try Self.secretFile()
        defer { try? FileManager.default.removeItem(atPath: secretDirectory) }
        let receiver = try await WebhookReceiver.start()
        do {
            let warden = try WardenProcess(config: """
                \(Self.supervisor)

                [notify.hooks]
                url = "\(receiver.url)/json?token=qwerty-token"
                format = "json"
                secret_file = "\(secretPath)"

                [notify.chat]
                url = "\(receiver.url)/slack/T0/B0/slack-path-secret"
                format = "slack"
                events = ["leak-restart"]

                \(fastLeakingProgram)

                [programs.broken]
                command = ["WORKLOAD", "crash", "--after", "0.05"]
                start_seconds = "1s"
                start_retries = 1
                backoff = "100ms"
                """)
            defer { _ = try? warden.terminate() }

            // json: the leak-restart record, byte for byte as events.jsonl has it, with a valid signature.
            let restart = try await receiver.waitForRequest(timeout: 90) {
                $0.path.hasPrefix("/json") && $0.text.contains("\"event\":\"leak-restart\"")
            }
            let signature = try #require(restart.headers["x-warden-signature-256"])
            #expect(signature == "sha256=" + Self.hmacHex(restart.body, key: secret))
            #expect(signature != "sha256=" + Self.hmacHex(restart.body, key: secret + "x"))
            #expect(restart.headers["content-type"] == "application/json")
            let lines = try String(contentsOfFile: warden.stateDirectory + "/events.jsonl", encoding: .utf8).split(separator: "\n")
            #expect(lines.contains { $0 == restart.text }, "the body is an events.jsonl line: \(restart.text)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(restart.body)) as? [String: Any])
            #expect(object["reason"] as? String == "memory-growth" && object["process"] as? String == "leaky")
            #expect((object["evidence"] as? [String: Any])?["rss_growth_mb_per_min"] is Double)

            // json: the FATAL worker.
            let fatal = try await receiver.waitForRequest(timeout: 30) {
                $0.path.hasPrefix("/json") && $0.text.contains("\"new_state\":\"FATAL\"")
            }
            #expect(fatal.text.contains("\"process\":\"broken\"") && fatal.headers["x-warden-signature-256"] != nil)

            // slack: one readable line naming the process, the reason and the figures; FATAL filtered out.
            let chat = try await receiver.waitForRequest(timeout: 30) { $0.path.hasPrefix("/slack") }
            let text = try #require((try JSONSerialization.jsonObject(with: Data(chat.body)) as? [String: String])?["text"])
            #expect(text.contains("leaky restarted for memory-growth") && text.contains("MiB/min") && text.contains("RSS "))
            #expect(!text.contains("\n") && chat.headers["x-warden-signature-256"] == nil)
            try await Task.sleep(for: .seconds(1))
            #expect(!receiver.requests().contains { $0.path.hasPrefix("/slack") && $0.text.contains("FATAL") })

            // /v1/health: per-sink counters, URLs without their secrets; the log holds no secret either.
            let sinks = try #require(try warden.health()["notifications"] as? [[String: Any]])
            #expect(sinks.map { $0["name"] as? String } == ["chat", "hooks"])
            let hooks = try #require(sinks.last)
            #expect((hooks["sent"] as? Int ?? 0) >= 2 && hooks["failed"] as? Int == 0 && hooks["dropped"] as? Int == 0)
            #expect(hooks["url"] as? String == "\(receiver.url)/…" && hooks["format"] as? String == "json")
            #expect(sinks.first?["url"] as? String == "\(receiver.url)/…")
            #expect(try warden.terminate() == 0)
            let log = warden.stderrText()
            for secretText in [secret, "qwerty-token", "slack-path-secret"] { #expect(!log.contains(secretText)) }
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    @Test("a real Alertmanager shows the restart and the FATAL worker with their labels; FATAL resolves when the worker runs again")
    func alertmanager() async throws {
        let alertmanager = try await AlertmanagerServer.start()
        do {
            let scripts = try scriptDirectory()
            defer { try? FileManager.default.removeItem(at: scripts) }
            let flag = scripts.appendingPathComponent("healed").path
            let warden = try WardenProcess(config: """
                \(Self.supervisor)

                [notify.am]
                url = "\(alertmanager.url)/api/v2/alerts"
                format = "alertmanager"

                \(fastLeakingProgram)

                [programs.broken]
                command = ["/bin/sh", "-c", "test -f \(flag) && exec WORKLOAD steady; exit 3"]
                start_seconds = "500ms"
                start_retries = 1
                backoff = "100ms"
                """)
            defer { _ = try? warden.terminate() }

            func named(_ name: String, _ program: String) async throws -> [String: Any]? {
                try await alertmanager.alerts().first {
                    let labels = $0["labels"] as? [String: String]
                    return labels?["alertname"] == name && labels?["program"] == program
                }
            }
            var fatal: [String: Any]?
            var restart: [String: Any]?
            let deadline = Date().addingTimeInterval(90)
            while Date() < deadline, fatal == nil || restart == nil {
                fatal = try await named("FATAL", "broken")
                restart = try await named("leak-restart", "leaky")
                if fatal == nil || restart == nil { try await Task.sleep(for: .milliseconds(300)) }
            }
            let held = try await alertmanager.alerts()
            let fatalAlert = try #require(fatal, "Alertmanager holds: \(held)")
            let labels = try #require(fatalAlert["labels"] as? [String: String])
            #expect(labels["instance"] == "broken" && labels["severity"] == "critical" && labels["reason"] == "start-retries-exhausted")
            #expect(labels["host"].map { !$0.isEmpty } == true)
            #expect((fatalAlert["status"] as? [String: Any])?["state"] as? String == "active")
            let restartAlert = try #require(restart)
            let annotations = try #require(restartAlert["annotations"] as? [String: String])
            #expect(annotations["summary"]?.contains("leaky restarted for memory-growth") == true)
            #expect(annotations["evidence"]?.contains("MiB/min") == true)
            #expect((restartAlert["labels"] as? [String: String])?["severity"] == "warning")

            // The worker can run now: starting it resolves the FATAL alert (sent with endsAt).
            FileManager.default.createFile(atPath: flag, contents: nil)
            #expect(try warden.cli(["start", "broken"]).status == 0)
            try await Task.sleep(for: .seconds(1))
            let resolveDeadline = Date().addingTimeInterval(20)
            var stillActive = true
            while Date() < resolveDeadline, stillActive {
                stillActive = try await named("FATAL", "broken") != nil
                if stillActive { try await Task.sleep(for: .milliseconds(300)) }
            }
            #expect(!stillActive, "the FATAL alert is resolved")
            let sink = try #require((try warden.health()["notifications"] as? [[String: Any]])?.first)
            #expect((sink["sent"] as? Int ?? 0) >= 3 && sink["failed"] as? Int == 0 && sink["format"] as? String == "alertmanager")
            #expect(try warden.terminate() == 0)
        } catch {
            await alertmanager.stop()
            throw error
        }
        await alertmanager.stop()
    }
}
