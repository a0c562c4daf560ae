import AsyncHTTPClient
import Foundation
import Logging
import Synchronization
import WardenAPI
import WardenConfig
import WardenCore

/// One sink's task: asks the sink's state machine what to do, POSTs what it is told, reports how it went,
/// and sleeps until a retry is due or a record arrives. `offer` (from the subscriber's task) never waits.
final class SinkRunner: Sendable {
    private let settings: NotifySettings
    private let state: Mutex<NotificationSink>
    private let doorbell = Doorbell()
    private let stopping = Mutex<ContinuousClock.Instant?>(nil)
    private let poster: WebhookPoster
    private let logger: Logger
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(settings: NotifySettings, host: String, client: HTTPClient, logger: Logger) {
        self.settings = settings
        self.logger = logger
        poster = WebhookPoster(url: settings.url, secret: settings.secret?.bytes, client: client)
        state = Mutex(NotificationSink(
            name: settings.name, format: settings.format, filter: settings.filter, host: host,
            policy: DeliveryQueue.Policy(attemptTimeout: Double(settings.timeout.components.seconds)
                + Double(settings.timeout.components.attoseconds) / 1e18)))
        let started = Task { [self] in await run() }
        task.withLock { $0 = started }
    }

    /// Hands `record` to the sink (queued when it takes it) and wakes its task.
    func offer(_ record: WardenEvent, now: Double) {
        let dropped = state.withLock { sink -> Int in
            let before = sink.delivery.counts.dropped
            sink.received(record, now: now)
            return sink.delivery.counts.dropped - before
        }
        if dropped > 0, state.withLock({ $0.delivery.counts.dropped }) == dropped {
            logger.warning("notification sink \(settings.name) (\(settings.url.redacted)): queue full, dropping the oldest notifications")
        }
        doorbell.ring()
    }

    /// Stops after delivering what it can within `grace`.
    func finish(grace: Duration) async {
        stopping.withLock { $0 = .now + grace }
        doorbell.ring()
        await task.withLock { $0 }?.value
    }

    func health() -> NotificationSinkHealth {
        state.withLock { sink in
            NotificationSinkHealth(
                name: settings.name, url: settings.url.redacted, format: settings.format.rawValue,
                sent: sink.delivery.counts.sent, failed: sink.delivery.counts.failed, dropped: sink.delivery.counts.dropped,
                queued: sink.delivery.queued, retries: sink.delivery.counts.retries, lastError: sink.delivery.lastError)
        }
    }

    private func run() async {
        var failing = false
        while true {
            let step = state.withLock { $0.step(now: Date().timeIntervalSince1970) }
            let deadline = stopping.withLock { $0 }
            switch step {
            case .send(let body, let attempt, let timeout):
                var bound = Duration.milliseconds(Int64(timeout * 1000))
                if let deadline { bound = min(bound, max(.zero, deadline - .now)) }
                let outcome = await poster.post(body, timeout: bound)
                let (gaveUp, error) = state.withLock { sink -> (Bool, String?) in
                    let failed = sink.delivery.counts.failed
                    sink.finished(outcome, now: Date().timeIntervalSince1970, jitter: Double.random(in: 0..<1))
                    return (sink.delivery.counts.failed > failed, sink.delivery.lastError)
                }
                let name = "notification sink \(settings.name) (\(settings.url.redacted))"
                if let error {
                    if !failing { logger.warning("\(name): attempt \(attempt) failed: \(error); retrying with backoff") }
                    if gaveUp { logger.warning("\(name): gave up on a notification after attempt \(attempt): \(error)") }
                    failing = true
                } else if failing {
                    logger.info("\(name): delivering again")
                    failing = false
                }
            case .wait(let until):
                if let deadline {
                    let due = until.map { $0 - Date().timeIntervalSince1970 }
                    // Stopping: nothing waiting, or a retry due after the grace period.
                    if until == nil || .now + .milliseconds(Int64((due ?? 0) * 1000)) > deadline { return }
                }
                await doorbell.wait(seconds: until.map { max(0, $0 - Date().timeIntervalSince1970) })
            }
        }
    }
}

/// Wakes a sleeping task: `ring` makes the current (or next) `wait` return at once. A ring with no one
/// waiting is remembered (once).
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else { state.rung = true; return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at a ring, after `seconds` (`nil`: no limit), or when the task is cancelled.
    func wait(seconds: Double?) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForRing() }
            if let seconds { group.addTask { try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000) + 1)) } }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.rung || Task.isCancelled { state.rung = false; return true }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
