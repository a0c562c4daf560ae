import Testing
@testable import WardenCore

/// A sink's delivery, driven through its inputs: bodies in, time passed, outcomes reported.
@Suite("Notifications: delivery policy")
struct DeliveryQueueTests {
    static func body(_ n: Int) -> [UInt8] { Array("\(n)".utf8) }

    @Test("one attempt at a time, in order; a 2xx counts sent")
    func inOrder() {
        var queue = DeliveryQueue()
        #expect(queue.step(now: 0) == .wait(until: nil))
        queue.enqueue(Self.body(1))
        queue.enqueue(Self.body(2))
        #expect(queue.step(now: 0) == .send(body: Self.body(1), attempt: 1, timeout: 10))
        #expect(queue.step(now: 0) == .wait(until: nil), "nothing else while an attempt is out")
        #expect(queue.queued == 2)
        queue.finished(.answered(status: 204, retryAfter: nil), now: 0.1, jitter: 0)
        #expect(queue.step(now: 0.1) == .send(body: Self.body(2), attempt: 1, timeout: 10))
        queue.finished(.answered(status: 200, retryAfter: nil), now: 0.2, jitter: 0)
        #expect(queue.counts.sent == 2 && queue.queued == 0 && queue.lastError == nil)
    }

    @Test("bounded: the oldest waiting body is dropped and counted, never the one being sent")
    func bounded() {
        var queue = DeliveryQueue(policy: .init(capacity: 3))
        queue.enqueue(Self.body(0))
        _ = queue.step(now: 0)
        for n in 1...5 { queue.enqueue(Self.body(n)) }
        #expect(queue.counts.dropped == 2 && queue.queued == 4)
        queue.finished(.answered(status: 200, retryAfter: nil), now: 1, jitter: 0)
        #expect(queue.step(now: 1) == .send(body: Self.body(3), attempt: 1, timeout: 10))
    }

    @Test("exponential backoff with jitter in the upper half, capped at the maximum")
    func backoff() {
        let queue = DeliveryQueue(policy: .init(initialBackoff: 1, maximumBackoff: 60))
        #expect(queue.backoff(afterAttempt: 1, jitter: 0) == 0.5 && queue.backoff(afterAttempt: 1, jitter: 1) == 1)
        #expect(queue.backoff(afterAttempt: 4, jitter: 1) == 8 && queue.backoff(afterAttempt: 4, jitter: 0.5) == 6)
        #expect(queue.backoff(afterAttempt: 20, jitter: 1) == 60 && queue.backoff(afterAttempt: 20, jitter: 0) == 30)
    }

    @Test("5xx, timeouts and refused connections retry after the backoff, up to maximumAttempts, then fail")
    func retries() {
        var queue = DeliveryQueue(policy: .init(maximumAttempts: 3))
        queue.enqueue(Self.body(1))
        _ = queue.step(now: 0)
        queue.finished(.transportError("connection refused"), now: 0, jitter: 1)
        #expect(queue.lastError == "connection refused")
        #expect(queue.step(now: 0.5) == .wait(until: 1))
        #expect(queue.step(now: 1) == .send(body: Self.body(1), attempt: 2, timeout: 10))
        queue.finished(.timedOut, now: 11, jitter: 1)
        #expect(queue.step(now: 12) == .wait(until: 13))
        #expect(queue.step(now: 13) == .send(body: Self.body(1), attempt: 3, timeout: 10))
        queue.finished(.answered(status: 503, retryAfter: nil), now: 13.1, jitter: 1)
        #expect(queue.counts.failed == 1 && queue.counts.retries == 2 && queue.queued == 0 && queue.lastError == "HTTP 503")
    }

    @Test("410 Gone and other 4xx are not retried; 408 and 429 are", arguments: [(410, false), (400, false), (404, false), (408, true), (429, true), (500, true)])
    func retryable(status: Int, retried: Bool) {
        var queue = DeliveryQueue()
        queue.enqueue(Self.body(1))
        _ = queue.step(now: 0)
        queue.finished(.answered(status: status, retryAfter: nil), now: 0, jitter: 0)
        #expect(queue.counts.failed == (retried ? 0 : 1) && queue.counts.retries == (retried ? 1 : 0))
    }

    @Test("Retry-After (seconds or an HTTP date) is honoured when longer than the backoff, up to its cap")
    func retryAfter() {
        var queue = DeliveryQueue(policy: .init(maximumRetryAfter: 600))
        queue.enqueue(Self.body(1))
        _ = queue.step(now: 1_000)
        queue.finished(.answered(status: 429, retryAfter: "120"), now: 1_000, jitter: 0)
        #expect(queue.step(now: 1_000) == .wait(until: 1_120))
        _ = queue.step(now: 1_120)
        queue.finished(.answered(status: 503, retryAfter: "Sun, 06 Nov 1994 08:49:37 GMT"), now: 784_111_747, jitter: 1)
        #expect(queue.step(now: 784_111_747) == .wait(until: 784_111_777), "a date 30 s ahead waits 30 s, not the 2 s backoff")
        _ = queue.step(now: 784_111_777)
        queue.finished(.answered(status: 503, retryAfter: "86400"), now: 0, jitter: 1)
        #expect(queue.step(now: 0) == .wait(until: 600))
        #expect(RetryAfter.seconds(" 7 ", now: 0) == 7 && RetryAfter.seconds("soon", now: 0) == nil)
        #expect(RetryAfter.httpDate("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
    }

    @Test("alertmanager sink: active alerts are queued again when due, after what is waiting")
    func resend() throws {
        var sink = NotificationSink(name: "am", format: .alertmanager, filter: .init(), host: "h")
        sink.received(NotificationTests.poolAlert(), now: 0)
        guard case .send(let first, 1, _) = sink.step(now: 0) else { Issue.record("expected a send"); return }
        sink.finished(.answered(status: 200, retryAfter: nil), now: 0.1, jitter: 0)
        #expect(sink.step(now: 1) == .wait(until: 30))
        guard case .send(let again, 1, _) = sink.step(now: 30) else { Issue.record("expected a re-send"); return }
        #expect(again == first)
        sink.finished(.transportError("refused"), now: 30, jitter: 0)
        #expect(sink.step(now: 61) != .wait(until: nil))
        #expect(sink.delivery.queued == 1, "a re-send is not queued while one waits")
    }
}
