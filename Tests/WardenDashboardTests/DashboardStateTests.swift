import Foundation
import Logging
import Testing
import WardenAPI
import WardenControlTestSupport
import WardenCore
import WardenDashboard
import WardenTestSupport

/// What the dashboard keeps beyond a request: failed logins per address (429 after five wrong tokens) and
/// acknowledgements in the state directory (owner-only, read back by the next Warden).
@Suite("Dashboard login throttle and saved acknowledgements", .serialized)
struct DashboardStateTests {
    static func dashboard(_ directory: String?, control: FakeSupervisor = FakeSupervisor(), throttle: LoginThrottle = LoginThrottle()) -> Dashboard {
        var logger = Logger(label: "warden.test.dashboard")
        logger.logLevel = .warning
        return Dashboard(token: Array(DashboardServerTests.token.utf8), control: control, history: nil, logger: logger,
                         stateDirectory: directory, throttle: throttle)
    }

    @Test("five wrong tokens from one address: the next attempt, even with the right token, is 429 with Retry-After; another address still logs in")
    func throttledLogin() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let jar = directory + "/jar"
        try await withTCPServer(FakeSupervisor(), token: DashboardServerTests.token, browser: Self.dashboard(nil)) { port in
            var statuses: [Int] = []
            for _ in 0..<5 {
                statuses.append(try await DashboardServerTests.curl(port, "/login", jar: jar, ["--data-urlencode", "token=wrong"]).status)
            }
            #expect(statuses == [401, 401, 401, 401, 429])
            let locked = try await DashboardServerTests.curl(port, "/login", jar: jar, ["--data-urlencode", "token=\(DashboardServerTests.token)"])
            #expect(locked.status == 429 && locked.body.contains("Too many wrong tokens"), "\(locked.head)")
            let retry = locked.head.lowercased().split(separator: "\r\n").first { $0.hasPrefix("retry-after: ") }
            #expect((retry.flatMap { Int($0.dropFirst("retry-after: ".count)) } ?? 0) > 50, "\(locked.head)")
            #expect(!locked.head.lowercased().contains("set-cookie"))
            // The lockout is per client address: 127.0.0.2 (loopback too) is not refused.
            let other = try await DashboardServerTests.curl(port, "/login", jar: jar, ["--interface", "127.0.0.2", "--data-urlencode", "token=\(DashboardServerTests.token)"])
            #expect(other.status == 303, "\(other.head)")
        }
    }

    @Test("an acknowledgement is written owner-only to STATE_DIR/dashboard-acks.json and read back by a new dashboard (carried until its alert opens again)")
    func savedAcknowledgements() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let jar = directory + "/jar"
        let file = directory + "/" + Dashboard.acksFile
        let key = "high-usage|pg|postgres://127.0.0.1:5432/app|||2026-12-06T10:00:00.000Z"
        let first = FakeSupervisor()
        await first.setAlerts([AlertStatus(kind: "high-usage", severity: "warning", collector: "pg", pool: "postgres://127.0.0.1:5432/app", worker: nil,
                                           startedAt: "2026-12-06T10:00:00.000Z", resolvedAt: nil, message: "pool at 85 %")])
        try await withTCPServer(first, token: DashboardServerTests.token, browser: Self.dashboard(directory, control: first)) { port in
            _ = try await DashboardServerTests.curl(port, "/login", jar: jar, ["--data-urlencode", "token=\(DashboardServerTests.token)"])
            let csrf = try #require(DashboardServerTests.csrf(in: try await DashboardServerTests.curl(port, "/", jar: jar).body))
            let ack = try await DashboardServerTests.curl(port, "/ui/acks", jar: jar, [
                "-H", "Content-Type: application/json", "-H", "X-CSRF-Token: \(csrf)", "-d", #"{"key": "\#(key)", "action": "acknowledge"}"#])
            #expect(ack.status == 200 && ack.body.contains(#""loudness":"acknowledged""#), "\(ack.body)")
        }
        var contents = ""
        for _ in 0..<50 where contents.isEmpty {
            contents = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            if contents.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(contents.contains(#""acknowledged_at""#) && contents.contains("high-usage|pg|"), "\(contents)")
        let mode = (try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) ?? -1
        #expect(mode == 0o600, "mode \(String(mode, radix: 8))")
        #expect(!FileManager.default.fileExists(atPath: file + ".tmp"))

        // A restarted Warden reads it back: the same alert, found again after the restart (a new
        // started_at), is shown acknowledged; another alert is not.
        let again = AlertStatus(kind: "high-usage", severity: "warning", collector: "pg", pool: "postgres://127.0.0.1:5432/app", worker: nil,
                                startedAt: RFC3339Text.string(secondsSinceEpoch: Date().timeIntervalSince1970), resolvedAt: nil, message: "pool at 85 %")
        var other = again
        other.collector = "pg2"
        let control = FakeSupervisor()
        await control.setAlerts([again, other])
        try await withTCPServer(control, token: DashboardServerTests.token, browser: Self.dashboard(directory, control: control)) { port in
            _ = try await DashboardServerTests.curl(port, "/login", jar: jar, ["--data-urlencode", "token=\(DashboardServerTests.token)"])
            let acks = try await DashboardServerTests.curl(port, "/ui/acks", jar: jar)
            let list = (try JSONSerialization.jsonObject(with: Data(acks.body.utf8)) as? [String: Any])?["acks"] as? [[String: Any]] ?? []
            #expect(list.count == 1 && list.first?["loudness"] as? String == "acknowledged", "\(acks.body)")
            #expect((list.first?["key"] as? String ?? "").hasSuffix(again.startedAt) && (list.first?["key"] as? String ?? "").hasPrefix("high-usage|pg|"))
        }
    }
}

/// `AlertAttention` across a restart: marks read back wait for their alert's identity to open again.
@Suite("Alert acknowledgements across a restart")
struct AlertAttentionRestoreTests {
    let now = RFC3339Text.seconds("2026-12-06T12:00:00Z")!

    @Test("a saved mark goes to the alert of the same kind and subject that opens within 15 min of the restart, not to another or a later one")
    func adoption() {
        let old = "leak|||||2026-12-06T11:00:00.000Z"
        var attention = AlertAttention(restoring: [
            "restart-loop||||api:0|2026-12-06T11:00:00.000Z": .acknowledged(at: now - 60),
            "high-usage|pg|postgres://h/app|||2026-12-06T11:30:00.000Z": .snoozed(until: now + 3_600),
            old: .snoozed(until: now - 1),  // expired: dropped
        ], now: now)
        #expect(attention.carried.count == 2 && attention.marks.isEmpty)
        let loop = "restart-loop||||api:0|2026-12-06T12:01:00.000Z"
        let otherLoop = "restart-loop||||api:1|2026-12-06T12:01:00.000Z"
        let lateUsage = "high-usage|pg|postgres://h/app|||2026-12-06T12:20:00.000Z"
        do { let decision = attention.adopt(openKeys: [loop, otherLoop, lateUsage], now: now + 90); #expect(decision) }
        #expect(attention.loudness(of: loop, now: now + 90).0 == .acknowledged)
        #expect(attention.loudness(of: otherLoop, now: now + 90).0 == .loud)
        #expect(attention.loudness(of: lateUsage, now: now + 90).0 == .loud)
        #expect(attention.saved.count == 2, "the adopted mark and the carried one not yet adopted are saved")
        do { let decision = attention.adopt(openKeys: [loop], now: now + 100); #expect(!decision) }
        do { let decision = attention.adopt(openKeys: [], now: now + 16 * 60); #expect(decision, "carried marks end after the grace") }
        #expect(attention.carried.isEmpty && attention.saved.count == 1)
    }

    @Test("keys without a started_at part, empty or too long, and snoozes beyond 7 days are not read back")
    func badSavedMarks() {
        let attention = AlertAttention(restoring: [
            "": .acknowledged(at: 0), "nobar": .acknowledged(at: 0),
            "x|" + String(repeating: "y", count: 1_100): .acknowledged(at: 0),
            "k|2026-12-06T11:00:00Z": .snoozed(until: now + 8 * 86_400),
            "ok|2026-12-06T11:00:00Z": .acknowledged(at: 1),
        ], now: now)
        #expect(attention.carried.count == 1 && attention.carried["ok"]?.key == "ok|2026-12-06T11:00:00Z")
    }
}
