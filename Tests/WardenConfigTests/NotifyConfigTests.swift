import Foundation
import Testing
import WardenCore
@testable import WardenConfig

/// `[notify.NAME]`: url, format, secret_file, events, min_severity, timeout; every problem at its key's line,
/// and a webhook URL (its secret) never quoted back.
@Suite("ConfigLoader: [notify.NAME] sinks")
struct NotifyConfigTests {
    @Test("a full table and a minimal one: typed, sorted by name, the secret read and never printed")
    func valid() throws {
        try HTTPConfigTests.withTokenFile(token: "a-webhook-secret-of-32-bytes-xyz\n") { secret in
            let text = """
                [notify.ops]
                url = "https://hooks.slack.com/services/T0/B0/xyz"
                format = "slack"
                secret_file = "\(secret)"
                events = ["leak-restart", "state-change"]
                min_severity = "critical"
                timeout = "3s"

                [notify.am]
                url = "http://127.0.0.1:9093/api/v2/alerts"
                format = "alertmanager"
                """
            let configuration = try #require(parseValid(text))
            #expect(configuration.notify.map(\.name) == ["am", "ops"])
            let am = configuration.notify[0], ops = configuration.notify[1]
            #expect(am.format == .alertmanager && am.secret == nil && am.filter == NotificationFilter() && am.timeout == .seconds(10))
            #expect(am.url.host == "127.0.0.1" && am.url.port == 9093)
            #expect(ops.format == .slack && ops.secretFile == secret && ops.timeout == .seconds(3))
            #expect(ops.secret?.bytes == Array("a-webhook-secret-of-32-bytes-xyz".utf8))
            #expect(ops.filter == NotificationFilter(kinds: [.leakRestart, .stateChange], minimumSeverity: .critical))
            #expect(!"\(ops)".contains("a-webhook-secret") && !"\(ops)".contains("xyz"), "neither the secret nor the URL's path is printed")
        }
        #expect(parseValid(minimalProgram)?.notify == [])
    }

    @Test("bad values: each at its FILE:LINE:key, and the URL is never quoted")
    func badValues() throws {
        let text = """
            [notify.ops]
            url = "ftp://hooks.example.com/secret-path"
            format = "teams"
            events = ["leak-restart", "severity-change"]
            min_severity = "info"
            timeout = "0s"
            retries = 3
            """
        let found = diagnostics(of: text)
        #expect(found.map(\.line) == [2, 3, 4, 5, 6, 7])
        #expect(found.map(\.key) == ["notify.ops.url", "notify.ops.format", "notify.ops.events", "notify.ops.min_severity",
                                     "notify.ops.timeout", "notify.ops.retries"])
        #expect(found[0].message.contains("not supported") && !found.contains { $0.message.contains("secret-path") })
        #expect(found[1].message.contains("\"json\", \"slack\" or \"alertmanager\""))
        #expect(found[2].message.contains("\"severity-change\" is not a notification") && found[2].message.contains("pool-alert"))
        #expect(found[3].message.contains("\"warning\" or \"critical\""))
        #expect(found.allSatisfy { $0.description.hasPrefix("\(fixtureFile):\($0.line ?? 0):") })
    }

    @Test("url and format are required; a name must be a plain word; a readable secret file is refused")
    func required() throws {
        let missing = diagnostics(of: "[notify.ops]\nevents = [\"pool-alert\"]\n")
        #expect(missing.map(\.key) == ["notify.ops.url", "notify.ops.format"] && missing.allSatisfy { $0.message.contains("missing required key") })
        let name = try #require(onlyDiagnostic(of: "[notify.\"a b\"]\nurl = \"http://h/\"\nformat = \"json\"\n"))
        #expect(name.message.contains("invalid notification sink name"))
        try HTTPConfigTests.withTokenFile(mode: 0o644) { secret in
            let diagnostic = try #require(onlyDiagnostic(of: "[notify.ops]\nurl = \"http://h/\"\nformat = \"json\"\nsecret_file = \"\(secret)\"\n"))
            #expect(diagnostic.line == 4 && diagnostic.message.hasPrefix("secret file ") && diagnostic.message.contains("chmod 600"))
        }
        let empty = try #require(onlyDiagnostic(of: "[notify.ops]\nurl = \"http://h/\"\nformat = \"json\"\nevents = []\n"))
        #expect(empty.line == 4 && empty.message.contains("must not be empty"))
        let notTable = try #require(onlyDiagnostic(of: "notify = \"https://x/secret\"\n"))
        #expect(notTable.key == "notify" && !notTable.message.contains("secret"))
    }
}
