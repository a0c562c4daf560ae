import Foundation
import Testing
import WardenTestSupport

/// Dead endpoints never hold Warden up: with one sink on a closed port and one on an endpoint that never
/// answers in time, a crash loop goes on, the API answers, and a third, healthy sink gets every notification.
@Suite("Notifications: dead endpoints", .serialized)
struct NotificationDeliveryTests {
    @Test("a closed port and a sleeping endpoint during a crash loop: supervision, the API and the healthy sink go on")
    func deadEndpoints() async throws {
        let healthy = try await WebhookReceiver.start()
        let sleeper = try await WebhookReceiver.start(answer: .sleep(30))
        let closedPort = FreePort.loopback()
        do {
            let config = """
                \(NotificationTests.supervisor)

                [notify.closed]
                url = "http://127.0.0.1:\(closedPort)/hook"
                format = "json"

                [notify.slow]
                url = "\(sleeper.url)/hook"
                format = "slack"
                timeout = "500ms"

                [notify.good]
                url = "\(healthy.url)/hook"
                format = "json"

                [programs.looping]
                command = ["WORKLOAD", "crash", "--after", "0.2"]
                start_seconds = "100ms"
                start_limit_burst = 0
                loop_restarts = 0    # no restart-loop alert: the good sink counts the twelve FATALs only

                [programs.doomed]
                command = ["WORKLOAD", "crash", "--after", "0.05"]
                numprocs = 12
                start_seconds = "1s"
                start_retries = 0
                """
            let warden = try WardenProcess(config: config)
            defer { _ = try? warden.terminate() }

            // Every doomed instance goes FATAL; the healthy sink gets all twelve while the others fail.
            try waitFor("12 FATAL notifications at the healthy sink", timeout: 30) {
                healthy.requests().filter { $0.text.contains("\"new_state\":\"FATAL\"") }.count == 12
            }
            // Supervision goes on: the crash loop keeps restarting while the dead sinks retry.
            let before = try #require(try warden.status()["looping"]?["restarts"] as? Int)
            for _ in 0..<10 {
                #expect(try warden.cli(["status"]).status == 0)
                usleep(200_000)
            }
            let after = try #require(try warden.status()["looping"]?["restarts"] as? Int)
            #expect(after >= before + 3, "the crash loop went on: \(before) -> \(after)")

            try waitFor("the slow sink's attempts to time out", timeout: 20) {
                let sinks = try warden.health()["notifications"] as? [[String: Any]] ?? []
                return (sinks.first { $0["name"] as? String == "slow" }?["last_error"] as? String)?.contains("timed out") == true
            }
            let sinks = try #require(try warden.health()["notifications"] as? [[String: Any]])
            let byName = Dictionary(uniqueKeysWithValues: sinks.map { ($0["name"] as? String ?? "", $0) })
            let closed = try #require(byName["closed"]), slow = try #require(byName["slow"]), good = try #require(byName["good"])
            #expect(closed["sent"] as? Int == 0 && (closed["queued"] as? Int ?? 0) >= 1 && (closed["retries"] as? Int ?? 0) >= 1)
            #expect((closed["last_error"] as? String).map { !$0.isEmpty } == true)
            #expect(slow["sent"] as? Int == 0 && (slow["queued"] as? Int ?? 0) >= 1 && !sleeper.requests().isEmpty)
            #expect(good["sent"] as? Int == 12 && good["failed"] as? Int == 0 && good["queued"] as? Int == 0)

            // /metrics has the same counters.
            let metrics = try warden.metrics()
            #expect(metrics.contains("warden_notifications_sent_total{sink=\"good\"} 12"))
            #expect(metrics.contains("warden_notifications_queued{sink=\"closed\"}"))
            #expect(metrics.contains("warden_notifications_dropped_total{sink=\"slow\"} 0"))

            // A reload keeps the running sinks and says so.
            try warden.writeConfig(config.replacingOccurrences(of: "[notify.slow]", with: "[notify.slower]"))
            let reload = try warden.cli(["reload"])
            #expect(reload.status == 0 && reload.stdout.contains("[notify] change needs a restart of warden; keeping 3 sink(s)"))
            #expect((try warden.health()["notifications"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["closed", "good", "slow"])

            // Shutting down does not wait on the dead endpoints beyond the grace period.
            let start = Date()
            #expect(try warden.terminate() == 0)
            #expect(Date().timeIntervalSince(start) < 15)
        } catch {
            await healthy.stop()
            await sleeper.stop()
            throw error
        }
        await healthy.stop()
        await sleeper.stop()
    }
}
