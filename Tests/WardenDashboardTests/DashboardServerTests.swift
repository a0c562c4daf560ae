import Foundation
import Logging
import Testing
import WardenAPI
import WardenControlTestSupport
import WardenCore
import WardenDashboard
import WardenHTTP
import WardenTestSupport

/// The dashboard on a real TCP listener (fake supervisor behind it), asked by curl: login, cookie flags,
/// CSRF on every state change, logout, the assets' size.
@Suite("Dashboard sessions and CSRF")
struct DashboardServerTests {
    static let token = "dash-token-0123456789abcdef"

    static func withDashboard(_ body: (Int, FakeSupervisor) async throws -> Void) async throws {
        var logger = Logger(label: "warden.test.dashboard")
        logger.logLevel = .warning
        let control = FakeSupervisor()
        let dashboard = Dashboard(token: Array(token.utf8), control: control, history: nil, logger: logger)
        try await withTCPServer(control, token: token, browser: dashboard) { port in try await body(port, control) }
    }

    /// curl with a cookie jar in `jar`: status, response head, body.
    static func curl(_ port: Int, _ path: String, jar: String, _ arguments: [String] = []) async throws -> (status: Int, head: String, body: String) {
        let result = try await ChildProcess.run("/usr/bin/curl", ["-sS", "-b", jar, "-c", jar, "-D", "/dev/stderr", "-o", "-", "-w", "\n%{http_code}"]
                                                + arguments + ["http://127.0.0.1:\(port)\(path)"])
        var lines = result.stdout.components(separatedBy: "\n")
        let status = Int(lines.removeLast()) ?? -1
        return (status, result.stderr, lines.joined(separator: "\n"))
    }

    static func csrf(in page: String) -> String? {
        guard let range = page.range(of: #"name="csrf-token" content="([0-9a-f]{64})""#, options: .regularExpression) else { return nil }
        return String(page[range].dropFirst(#"name="csrf-token" content=""#.count).dropLast())
    }

    @Test("login sets an HttpOnly SameSite=Strict cookie; a wrong token is refused; pages redirect to /login without it")
    func login() async throws {
        let jar = makeTemporaryDirectory() + "/jar"
        defer { removeTemporaryDirectory((jar as NSString).deletingLastPathComponent) }
        try await Self.withDashboard { port, _ in
            let anonymous = try await Self.curl(port, "/", jar: jar)
            #expect(anonymous.status == 303 && anonymous.head.lowercased().contains("location: /login"))
            #expect(try await Self.curl(port, "/v1/processes", jar: jar).status == 401)
            let wrong = try await Self.curl(port, "/login", jar: jar, ["--data-urlencode", "token=\(Self.token)x"])
            #expect(wrong.status == 401 && wrong.body.contains("Wrong token") && !wrong.head.lowercased().contains("set-cookie"))
            let right = try await Self.curl(port, "/login", jar: jar, ["--data-urlencode", "token=\(Self.token)"])
            #expect(right.status == 303)
            let cookie = right.head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") }.map(String.init) ?? ""
            #expect(cookie.contains("warden_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
            let page = try await Self.curl(port, "/", jar: jar)
            #expect(page.status == 200 && Self.csrf(in: page.body) != nil)
            #expect(page.head.contains("Content-Security-Policy: default-src 'none'; script-src 'self'"))
            #expect(try await Self.curl(port, "/v1/processes", jar: jar).status == 200)

            // Browser paths that name nothing: an HTML page with a 404 status; API paths keep their JSON 404.
            for path in ["/process/nosuch", "/process/%E0%A4%A", "/process/", "/nosuch", "/a/b"] {
                let missing = try await Self.curl(port, path, jar: jar)
                #expect(missing.status == 404 && missing.head.lowercased().contains("content-type: text/html")
                        && Self.csrf(in: missing.body) != nil, "\(path): \(missing.status) \(missing.head)")
            }
            let known = try await Self.curl(port, "/process/api:0", jar: jar)
            #expect(known.status == 200, "\(known.status)")
            let api = try await Self.curl(port, "/v1/nosuch", jar: jar)
            #expect(api.status == 404 && api.head.lowercased().contains("application/json"), "\(api.head)")
            #expect(try await Self.curl(port, "/ui/nosuch", jar: jar).head.lowercased().contains("application/json"))
            let anonymous404 = try await Self.curl(port, "/nosuch", jar: jar + "-none")
            #expect(anonymous404.status == 303 && anonymous404.head.lowercased().contains("location: /login"))
            #expect(try await Self.curl(port, "/metrics", jar: jar + "-none").status == 401)
        }
    }

    @Test("a POST with the session but without the CSRF token, with a wrong one, or from another origin is refused; with it, it runs")
    func csrf() async throws {
        let jar = makeTemporaryDirectory() + "/jar"
        defer { removeTemporaryDirectory((jar as NSString).deletingLastPathComponent) }
        try await Self.withDashboard { port, control in
            _ = try await Self.curl(port, "/login", jar: jar, ["--data-urlencode", "token=\(Self.token)"])
            let csrf = try #require(Self.csrf(in: try await Self.curl(port, "/", jar: jar).body))
            let json = ["-H", "Content-Type: application/json", "-d", #"{"names": ["api:0"]}"#]
            #expect(try await Self.curl(port, "/v1/processes/restart", jar: jar, json).status == 401)
            #expect(try await Self.curl(port, "/v1/processes/restart", jar: jar, json + ["-H", "X-CSRF-Token: \(String(csrf.reversed()))"]).status == 401)
            #expect(try await Self.curl(port, "/v1/processes/restart", jar: jar, json + ["-H", "X-CSRF-Token: \(csrf)", "-H", "Origin: http://evil.example"]).status == 401)
            #expect(await control.calls.isEmpty)
            let done = try await Self.curl(port, "/v1/processes/restart", jar: jar, json + ["-H", "X-CSRF-Token: \(csrf)", "-H", "Origin: http://127.0.0.1:\(port)"])
            #expect(done.status == 200, "\(done.body)")
            #expect(await control.calls.count == 1)

            // Acknowledgements: CSRF too; a bad duration names the field.
            await control.setAlerts([AlertStatus(kind: "high-usage", severity: "warning", collector: "pg", pool: nil, worker: nil,
                                                 startedAt: "t", resolvedAt: nil, message: "pool at 85 %")])
            let ack = ["-H", "Content-Type: application/json", "-d", #"{"key": "high-usage|pg||||t", "action": "snooze", "seconds": 900}"#]
            #expect(try await Self.curl(port, "/ui/acks", jar: jar, ack).status == 401)
            let snoozed = try await Self.curl(port, "/ui/acks", jar: jar, ack + ["-H", "X-CSRF-Token: \(csrf)"])
            #expect(snoozed.status == 200 && snoozed.body.contains(#""loudness":"snoozed""#), "\(snoozed.body)")
            let bad = try await Self.curl(port, "/ui/acks", jar: jar, ["-H", "Content-Type: application/json", "-H", "X-CSRF-Token: \(csrf)",
                                                                      "-d", #"{"key": "k", "action": "snooze", "seconds": -5}"#])
            #expect(bad.status == 400 && bad.body.contains(#""field":"seconds""#), "\(bad.body)")
            // Only alerts that exist can be marked; control characters are refused; a mark whose alert is gone is dropped.
            let post = { (body: String) in try await Self.curl(port, "/ui/acks", jar: jar, ["-H", "Content-Type: application/json", "-H", "X-CSRF-Token: \(csrf)", "-d", body]) }
            let bogus = try await post(#"{"key": "bogus|1", "action": "acknowledge"}"#)
            #expect(bogus.status == 404 && bogus.body.contains(#""field":"key""#), "\(bogus.body)")
            let control1 = try await post(#"{"key": "high-usage|pg\u0007||||t", "action": "acknowledge"}"#)
            #expect(control1.status == 400 && control1.body.contains("control character"), "\(control1.body)")
            #expect(try await Self.curl(port, "/ui/acks", jar: jar).body.contains("high-usage|pg||||t"))
            await control.setAlerts([])
            let gone = try await Self.curl(port, "/ui/acks", jar: jar)
            #expect(gone.status == 200 && gone.body.contains(#""acks":[]"#), "\(gone.body)")

            // Logout needs the token too, then the session is gone.
            #expect(try await Self.curl(port, "/logout", jar: jar, ["-d", "csrf=nope"]).status == 403)
            let out = try await Self.curl(port, "/logout", jar: jar, ["-d", "csrf=\(csrf)"])
            #expect(out.status == 303 && out.head.lowercased().contains("location: /login"))
            #expect(try await Self.curl(port, "/v1/processes", jar: jar).status == 401)
        }
    }

    @Test("the bearer token still works beside the dashboard; JS + CSS are compiled in and weigh at most 100 KB")
    func assets() async throws {
        let jar = makeTemporaryDirectory() + "/jar"
        defer { removeTemporaryDirectory((jar as NSString).deletingLastPathComponent) }
        try await Self.withDashboard { port, _ in
            #expect(try await Self.curl(port, "/v1/processes", jar: jar, ["-H", "Authorization: Bearer \(Self.token)"]).status == 200)
            let script = try await Self.curl(port, "/assets/app.js", jar: jar)
            let style = try await Self.curl(port, "/assets/app.css", jar: jar)
            #expect(script.status == 200 && script.head.contains("text/javascript") && script.body.contains("W.pages.overview"))
            #expect(style.status == 200 && style.body.contains(".sev-critical"))
            let bytes = script.body.utf8.count + style.body.utf8.count
            #expect(bytes <= 100_000, "JS + CSS are \(bytes) bytes")
            let outside = script.body.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
            #expect(!outside.contains("http://") && !outside.contains("https://") && !style.body.contains("url("),
                    "an asset refers to something outside the binary")
            // Every transition reason has its words in the page's one table (W.REASONS).
            let table = script.body.components(separatedBy: "W.REASONS = {").last?.components(separatedBy: "};").first ?? ""
            let missing = TransitionReason.allCases.map(\.rawValue).filter { !table.contains("'\($0)':") && !table.contains(" \($0):") }
            #expect(missing.isEmpty, "reasons without words in W.REASONS: \(missing)")
        }
    }
}
