import Testing
import WardenTestSupport
import WardenPluginProtocol
@testable import WardenCore

/// `long-running`, `plugin-failure`, history bounds, `resolveAll`, credentials in alerts.
@Suite("Pool alerts: long-running, plugin failure, history")
struct PoolsOtherAlertTests {
    static func connection(_ id: String, worker: String? = "api:0", state: String = "active", age: Double = 400)
        -> LongRunningConnection
    {
        LongRunningConnection(id: id, worker: worker, state: state, ageSeconds: age, client: "127.0.0.1:51234")
    }

    @Test("one long-running alert per connection id, with its worker; active is a warning, idle in transaction critical")
    func longRunningPerConnection() throws {
        var run = PoolRun()
        let result = run.check(poolSample(inUse: 3, byWorker: ["api:0": 2, "jobs:0": 1], longRunning: [
            Self.connection("41", state: "active", age: 420),
            Self.connection("42", worker: "jobs:0", state: "idle in transaction", age: 301),
            Self.connection("43", worker: nil, state: "active", age: 500),
        ]))
        #expect(result.opened.count == 3)
        let active = try #require(result.opened.first { $0.connection == "41" })
        #expect(active.kind == .longRunning && active.severity == .warning && active.worker == "api:0")
        #expect(active.message.contains("active for 420 s") && active.message.contains("api:0"))
        let stuck = try #require(result.opened.first { $0.connection == "42" })
        #expect(stuck.severity == .critical && stuck.worker == "jobs:0")
        #expect(stuck.message.contains("idle_in_transaction_session_timeout"))
        let orphan = try #require(result.opened.first { $0.connection == "43" })
        #expect(orphan.worker == nil && orphan.message.contains("unattributed"))
    }

    @Test("a long-running connection stays one alert while reported, and resolves when it is gone")
    func longRunningResolves() {
        var run = PoolRun()
        run.check(poolSample(inUse: 1, longRunning: [Self.connection("7", age: 300)]))
        let second = run.check(poolSample(inUse: 1, longRunning: [Self.connection("7", age: 310)]))
        #expect(second.opened.isEmpty)
        #expect(run.open(.longRunning).count == 1)
        #expect(run.open(.longRunning).first?.message.contains("310 s") == true)
        let third = run.check(poolSample(inUse: 1))
        #expect(third.resolved.map(\.connection) == ["7"])
        #expect(run.open(.longRunning).isEmpty)
    }

    @Test("a connection younger than long_running raises nothing")
    func longRunningThreshold() {
        var run = PoolRun(thresholds: PoolThresholds(longRunning: .seconds(600)))
        run.check(poolSample(inUse: 1, longRunning: [Self.connection("7", age: 599)]))
        #expect(run.tracker.openAlerts.isEmpty)
        run.check(poolSample(inUse: 1, longRunning: [Self.connection("7", age: 600)]))
        #expect(run.open(.longRunning).count == 1)
    }

    @Test("plugin failure is raised and resolved by the host, de-duplicated, critical, with no pool")
    func pluginFailure() throws {
        var tracker = PoolAlertTracker(collector: "redis")
        let raised = tracker.raisePluginFailure("no answer to collect 7 within 5s", at: 100)
        let alert = try #require(raised.opened.first)
        #expect(alert.kind == .pluginFailure && alert.severity == .critical && alert.pool == nil && alert.worker == nil)
        #expect(alert.message == "collector redis: no answer to collect 7 within 5s")
        let again = tracker.raisePluginFailure("exited with status 1", at: 110)
        #expect(again.opened.isEmpty)
        #expect(tracker.openAlerts.count == 1 && tracker.openAlerts[0].startedAt == 100)
        #expect(tracker.openAlerts[0].message.hasSuffix("exited with status 1"))
        let resolved = tracker.resolvePluginFailure(at: 120)
        #expect(resolved.resolved.first?.resolvedAt == 120)
        #expect(tracker.openAlerts.isEmpty)
        #expect(tracker.resolvePluginFailure(at: 130).isEmpty)
    }

    @Test("a plugin failure message with a password is stored without it")
    func pluginFailureRedacted() {
        var tracker = PoolAlertTracker(collector: "postgres")
        tracker.raisePluginFailure("cannot connect to postgres://monitor:hunter2@db:5432/app (password=hunter2)", at: 1)
        let message = tracker.openAlerts[0].message
        #expect(!message.contains("hunter2"))
        #expect(message.contains("postgres://monitor@db:5432/app"))
    }

    @Test("a pool identity with credentials is redacted in snapshots and alerts")
    func poolRedacted() {
        var run = PoolRun()
        run.check(poolSample(pool: "redis://:s3cret@127.0.0.1:6379", max: 10, inUse: 10))
        #expect(run.tracker.pools[0].sample.pool == "redis://@127.0.0.1:6379")
        #expect(run.tracker.openAlerts.allSatisfy { !($0.pool ?? "").contains("s3cret") && !$0.message.contains("s3cret") })
    }

    @Test("the history of resolved alerts is bounded, oldest dropped first")
    func boundedHistory() {
        var run = PoolRun(historyLimit: 3)
        for _ in 0..<5 {
            run.check(poolSample(max: 10, inUse: 10))
            run.check(poolSample(max: 10, inUse: 0))
        }
        #expect(run.tracker.resolvedAlerts.count == 3)
        let starts = run.tracker.resolvedAlerts.map(\.startedAt)
        #expect(starts == starts.sorted())
        #expect(starts.first == run.now - 50)  // the 3rd of 5 episodes, each 20 s long
    }

    @Test("resolveAll closes every open alert")
    func resolveAll() {
        var run = PoolRun()
        run.check(poolSample(max: 10, inUse: 10, longRunning: [Self.connection("1")]))
        run.tracker.raisePluginFailure("hung", at: run.now)
        #expect(run.tracker.openAlerts.count == 3)
        let result = run.tracker.resolveAll(at: run.now + 1)
        #expect(result.resolved.count == 3)
        #expect(run.tracker.openAlerts.isEmpty && run.tracker.resolvedAlerts.count == 3)
    }
}

/// `CredentialRedaction` and `RFC3339Text`.
@Suite("Pool alerts: text helpers")
struct PoolsTextTests {
    @Test("URL passwords are removed, whatever they contain; users and hosts are kept", arguments: [
        ("postgres://monitor:secret@127.0.0.1:5432/postgres", "postgres://monitor@127.0.0.1:5432/postgres"),
        ("redis://:secret@localhost:6379", "redis://@localhost:6379"),
        ("x postgres://u:se/cr@et@h/db y", "x postgres://u@h/db y"),
        ("postgres://monitor@127.0.0.1/app", "postgres://monitor@127.0.0.1/app"),
        ("host=db user=u PASSWORD=secret dbname=app", "host=db user=u PASSWORD=*** dbname=app"),
        ("no credentials here", "no credentials here"),
    ])
    func redaction(input: String, expected: String) {
        #expect(CredentialRedaction.redact(input) == expected)
    }

    @Test("RFC 3339 with milliseconds in UTC")
    func rfc3339() {
        #expect(RFC3339Text.string(secondsSinceEpoch: 0) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339Text.string(secondsSinceEpoch: 1_700_000_000.5) == "2023-11-14T22:13:20.500Z")
        #expect(RFC3339Text.string(secondsSinceEpoch: 951_782_400) == "2000-02-29T00:00:00.000Z")
        #expect(RFC3339Text.string(secondsSinceEpoch: 4_102_444_799.999) == "2099-12-31T23:59:59.999Z")
        #expect(RFC3339Text.string(secondsSinceEpoch: -1) == "1969-12-31T23:59:59.000Z")
    }
}
