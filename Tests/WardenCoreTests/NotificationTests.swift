import Foundation
import Testing
@testable import WardenCore

/// Which records a sink takes and what it sends: the filter, the three formats, Alertmanager's conditions.
@Suite("Notifications: filter and bodies")
struct NotificationTests {
    static let evidence = WardenEvent.Evidence(
        rssBytes: 300 * 1_048_576, treeRSSBytes: 310 * 1_048_576, rssGrowthMBPerMin: 240.04, fds: 12, threads: 4,
        windowSeconds: 30, samples: 30)

    static func restart(_ reason: TransitionReason = .memoryGrowth, process: String = "api:0") -> WardenEvent {
        WardenEvent(time: "2026-12-06T10:00:00.000Z", process: process, program: "api", event: .leakRestart, reason: reason,
                    pid: 4242, evidence: evidence, message: "RSS growing 240.0 MiB/min over 30 s (critical 15.0 MiB/min)")
    }

    static func fatal(process: String = "api:0") -> WardenEvent {
        WardenEvent(time: "2026-12-06T10:01:00.000Z", process: process, program: "api", event: .stateChange,
                    oldState: .backoff, newState: .fatal, reason: TransitionReason.startRetriesExhausted, exitStatus: "exit status 3")
    }

    static func poolAlert(_ event: WardenEvent.Kind = .poolAlert, severity: PoolAlert.Severity = .warning,
                          time: String = "2026-12-06T10:02:00.000Z") -> WardenEvent {
        WardenEvent(time: time, process: nil, event: event, reason: PoolAlert.Kind.highUsage, collector: "pg",
                    pool: "postgres://db:5432/app", severity: severity, message: "usage 85 % for 3 checks")
    }

    static func json(_ bytes: [UInt8]?) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(try #require(bytes)))
    }

    @Test("notifications: policy restarts, leak alerts, watchdog, pool alerts, FATAL, plugin failures; nothing else")
    func notifiable() {
        #expect(Notifiable.severity(of: Self.restart()) == .warning)
        #expect(Notifiable.severity(of: Self.fatal()) == .critical)
        #expect(Notifiable.severity(of: Self.poolAlert(severity: .critical)) == .critical)
        var running = Self.fatal()
        running.newState = .running
        #expect(Notifiable.severity(of: running) == nil, "only a state change to FATAL is a notification")
        let mismatch = WardenEvent(time: "t", process: "collector:pg", event: .plugin, reason: TransitionReason.protocolMismatch)
        let handshake = WardenEvent(time: "t", process: "collector:pg", event: .plugin, reason: EventReason.handshake)
        #expect(Notifiable.severity(of: mismatch) == .critical && Notifiable.severity(of: handshake) == nil)
        let severity = WardenEvent(time: "t", process: "api:0", event: .severityChange, reason: EventReason.growthRising)
        #expect(Notifiable.severity(of: severity) == nil)
    }

    @Test("events = [...] and min_severity filter")
    func filter() {
        let everything = NotificationFilter()
        #expect(everything.accepts(Self.restart()) && everything.accepts(Self.fatal()))
        let critical = NotificationFilter(minimumSeverity: .critical)
        #expect(!critical.accepts(Self.restart()) && critical.accepts(Self.fatal()))
        let pools = NotificationFilter(kinds: [.poolAlert])
        #expect(pools.accepts(Self.poolAlert()) && !pools.accepts(Self.restart()) && !pools.accepts(Self.poolAlert(.poolAlertResolved)))
    }

    @Test("json: the record exactly as events.jsonl has it")
    func jsonBody() throws {
        let event = Self.restart()
        let body = try #require(NotificationSink.body(of: event, format: .json, host: "web-1"))
        #expect(body == EventJSON.bytes(event))
        let decoded = try JSONDecoder().decode(WardenEvent.self, from: Data(body))
        #expect(decoded == event)
        #expect(String(decoding: body, as: UTF8.self).hasPrefix("{\"event\":\"leak-restart\",\"evidence\":{"))
    }

    @Test("slack: one line with host, process, what happened and the figures")
    func slackBody() throws {
        let object = try #require(try Self.json(NotificationSink.body(of: Self.restart(), format: .slack, host: "web-1")) as? [String: String])
        #expect(object.keys.sorted() == ["text"])
        let text = try #require(object["text"])
        #expect(text == "[warning] web-1: api:0 restarted for memory-growth: RSS growing 240.0 MiB/min over 30 s (critical 15.0 MiB/min)"
            + " — RSS 300.0 MiB (tree 310.0 MiB), growing 240.0 MiB/min over 30 s, 12 fds, 4 threads")
        #expect(!text.contains("\n"))
        let fatal = NotificationText.line(Self.fatal(), host: "web-1")
        #expect(fatal == "[critical] web-1: api:0 is FATAL (start-retries-exhausted, last exit status 3)")
        let pool = NotificationText.line(Self.poolAlert(.poolAlertResolved), host: "h")
        #expect(pool == "[warning] h: resolved: high-usage alert on postgres://db:5432/app (collector pg): usage 85 % for 3 checks")
    }

    @Test("alertmanager: labels, annotations, startsAt; a happening ends happeningSeconds later")
    func alertmanagerBody() throws {
        let alerts = try #require(try Self.json(NotificationSink.body(of: Self.restart(), format: .alertmanager, host: "web-1")) as? [[String: Any]])
        let alert = try #require(alerts.first)
        #expect(alert["labels"] as? [String: String] == [
            "alertname": "leak-restart", "program": "api", "instance": "api:0", "severity": "warning", "host": "web-1",
            "reason": "memory-growth",
        ])
        let annotations = try #require(alert["annotations"] as? [String: String])
        #expect(annotations["summary"]?.hasPrefix("api:0 restarted for memory-growth") == true)
        #expect(annotations["evidence"]?.contains("240.0 MiB/min") == true)
        #expect(alert["startsAt"] as? String == "2026-12-06T10:00:00.000Z" && alert["endsAt"] == nil)

        var book = AlertmanagerBook(host: "web-1")
        let sent = book.apply(Self.restart(), accepted: true, now: 0)
        #expect(sent.count == 1 && sent[0].endsAt == "2026-12-06T10:05:00.000Z")
        #expect(book.activeAlerts.isEmpty && book.resendDue(now: 1_000) == nil, "a happening is not re-sent")
    }

    @Test("alertmanager: a pool alert's program is its worker's; an alert about the whole pool has no program label")
    func alertmanagerPoolProgram() {
        var leak = WardenEvent(time: "2026-12-06T10:00:00.000Z", process: "rleak", program: "rleak", event: .poolAlert,
                               reason: AlertKind.connectionLeak, collector: "redis", pool: "redis://127.0.0.1:6379",
                               severity: .critical, message: "rleak keeps opening connections")
        #expect(AlertmanagerBook.alert(for: leak, host: "h").labels["program"] == "rleak")
        #expect(AlertmanagerBook.alert(for: leak, host: "h").labels["collector"] == "redis")
        leak.process = nil
        leak.program = nil
        leak.reason = AlertKind.exhaustion.rawValue
        let whole = AlertmanagerBook.alert(for: leak, host: "h").labels
        #expect(whole["program"] == nil && whole["instance"] == "redis://127.0.0.1:6379" && whole["collector"] == "redis")
    }

    @Test("alertmanager: a pool alert is active until resolved, re-sent every 30 s, then sent with endsAt")
    func alertmanagerPoolCondition() throws {
        var book = AlertmanagerBook(host: "h")
        let opened = book.apply(Self.poolAlert(), accepted: true, now: 100)
        #expect(opened.count == 1 && opened[0].endsAt == nil && opened[0].labels["alertname"] == "high-usage")
        #expect(opened[0].labels["collector"] == "pg" && opened[0].labels["pool"] == "postgres://db:5432/app")
        #expect(book.resendDue(now: 129) == nil && book.nextResend() == 130)
        let again = try #require(book.resendDue(now: 130))
        #expect(again == opened)
        book.sent(now: 130)
        #expect(book.resendDue(now: 150) == nil)
        let resolved = book.apply(Self.poolAlert(.poolAlertResolved, time: "2026-12-06T10:09:00.000Z"), accepted: false, now: 160)
        #expect(resolved.count == 1 && resolved[0].endsAt == "2026-12-06T10:09:00.000Z" && resolved[0].startsAt == opened[0].startsAt)
        #expect(book.activeAlerts.isEmpty && book.nextResend() == nil)
    }

    @Test("alertmanager: FATAL until the process leaves it; a leak alert until growth subsides or the process stops")
    func alertmanagerProcessConditions() throws {
        var book = AlertmanagerBook(host: "h")
        #expect(book.apply(Self.fatal(), accepted: true, now: 0).first?.labels["alertname"] == "FATAL")
        var started = Self.fatal()
        (started.oldState, started.newState, started.reason) = (.fatal, .starting, TransitionReason.startRequested.rawValue)
        let resolved = book.apply(started, accepted: false, now: 5)
        #expect(resolved.count == 1 && resolved[0].endsAt == started.time && resolved[0].labels["alertname"] == "FATAL")

        let leak = WardenEvent(time: "2026-12-06T11:00:00.000Z", process: "api:0", program: "api", event: .leakAlert,
                               reason: TransitionReason.memoryGrowth, evidence: Self.evidence, message: "growing")
        #expect(book.apply(leak, accepted: true, now: 10).count == 1)
        let higher = WardenEvent(time: "t", process: "api:0", event: .severityChange, oldSeverity: "high", newSeverity: "critical",
                                 reason: EventReason.growthRising)
        #expect(book.apply(higher, accepted: false, now: 11).isEmpty && book.activeAlerts.count == 1)
        let lower = WardenEvent(time: "2026-12-06T11:05:00.000Z", process: "api:0", event: .severityChange,
                                oldSeverity: "critical", newSeverity: "high", reason: EventReason.growthSubsided)
        #expect(book.apply(lower, accepted: false, now: 12).first?.endsAt == "2026-12-06T11:05:00.000Z")

        #expect(book.apply(leak, accepted: true, now: 20).count == 1)
        let stopping = WardenEvent(time: "2026-12-06T11:06:00.000Z", process: "api:0", event: .stateChange, oldState: .running,
                                   newState: .stopping, reason: TransitionReason.stopRequested)
        #expect(book.apply(stopping, accepted: false, now: 21).count == 1 && book.activeAlerts.isEmpty)
    }

    @Test("alertmanager: a record the filter refuses opens nothing; resolves come for what was opened")
    func alertmanagerFilter() {
        var sink = NotificationSink(name: "am", format: .alertmanager, filter: NotificationFilter(minimumSeverity: .critical), host: "h")
        sink.received(Self.poolAlert(), now: 0)
        sink.received(Self.poolAlert(.poolAlertResolved), now: 1)
        #expect(sink.delivery.queued == 0 && sink.activeAlerts.isEmpty)
        sink.received(Self.poolAlert(severity: .critical), now: 2)
        #expect(sink.delivery.queued == 1 && sink.activeAlerts.count == 1)
    }

    @Test("webhook URLs: http(s) with a host; shown without path, query or user information")
    func webhookURL() throws {
        let slack = try WebhookURL.parse("https://hooks.slack.com/services/T0/B0/secretsecret").get()
        #expect(slack.host == "hooks.slack.com" && slack.port == nil && slack.redacted == "https://hooks.slack.com/…")
        let am = try WebhookURL.parse("http://user:pw@127.0.0.1:9093/api/v2/alerts?token=abc").get()
        #expect(am.host == "127.0.0.1" && am.port == 9093 && "\(am)" == "http://127.0.0.1:9093/…")
        #expect(try WebhookURL.parse("http://[::1]:8080").get().redacted == "http://[::1]:8080")
        for bad in ["ftp://x/", "hooks.slack.com/x", "http://", "http://h:0/", "http://h:99999/", "http://h x/"] {
            #expect((try? WebhookURL.parse(bad).get()) == nil, "\(bad)")
        }
    }
}
