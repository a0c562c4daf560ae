/// One sink's delivery: a bounded queue of request bodies sent one at a time, in order, with retries.
/// Pure: the runtime passes the time (seconds, any fixed origin; the Unix epoch for `Retry-After` dates) and a
/// random number for the jitter, performs the attempts it is told to, and reports how each ended.
///
/// - Bounded: at `capacity` waiting bodies, the oldest waiting one is dropped (and counted) for the new one;
///   the body being sent is never dropped.
/// - Retries: a transport error, a timeout, 408, 429 and 5xx are retried after an exponential backoff with
///   jitter (`initialBackoff` doubling to `maximumBackoff`, each delay drawn from its upper half), or after
///   `Retry-After` when the answer has one and it is longer (capped at `maximumRetryAfter`), up to
///   `maximumAttempts`; then the body is counted failed. 410 Gone and any other 4xx are not retried.
public struct DeliveryQueue: Sendable {
    public struct Policy: Sendable, Equatable {
        /// Bodies waiting behind the one being sent.
        public var capacity: Int
        /// Bound of one attempt (connect to last byte), seconds.
        public var attemptTimeout: Double
        public var initialBackoff: Double
        public var maximumBackoff: Double
        public var maximumAttempts: Int
        /// The longest `Retry-After` obeyed, seconds.
        public var maximumRetryAfter: Double

        public init(capacity: Int = 1_024, attemptTimeout: Double = 10, initialBackoff: Double = 1,
                    maximumBackoff: Double = 60, maximumAttempts: Int = 8, maximumRetryAfter: Double = 600) {
            self.capacity = max(1, capacity); self.attemptTimeout = attemptTimeout; self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff; self.maximumAttempts = max(1, maximumAttempts)
            self.maximumRetryAfter = maximumRetryAfter
        }
    }

    /// How one attempt ended.
    public enum Outcome: Sendable, Equatable {
        /// An HTTP answer: its status and its `Retry-After` header, if any.
        case answered(status: Int, retryAfter: String?)
        /// No answer within `attemptTimeout`.
        case timedOut
        /// Connection refused, reset, DNS failure, … (the text goes to `lastError`).
        case transportError(String)
    }

    /// What the runtime does next.
    public enum Step: Sendable, Equatable {
        /// Send `body` (attempt number `attempt`, from 1) within `timeout` seconds, then call `finished`.
        case send(body: [UInt8], attempt: Int, timeout: Double)
        /// Nothing to do until `until` (a retry is due), or until something is enqueued (`nil`).
        case wait(until: Double?)
    }

    /// Counters since the sink started.
    public struct Counts: Sendable, Equatable {
        /// Bodies delivered (2xx).
        public var sent = 0
        /// Bodies given up on (not retried, or out of attempts).
        public var failed = 0
        /// Bodies dropped because the queue was full.
        public var dropped = 0
        /// Attempts retried.
        public var retries = 0
        public init() {}
    }

    private enum Phase: Sendable {
        case idle
        case sending(body: [UInt8], attempt: Int)
        case waiting(body: [UInt8], attempt: Int, until: Double)
    }

    public let policy: Policy
    private var phase: Phase = .idle
    /// Waiting bodies, oldest first, from `head` on (a ring would save the compaction; the queue is small).
    private var pending: [[UInt8]] = []
    private var head = 0
    public private(set) var counts = Counts()
    /// Why the last attempt failed (status or transport error); `nil` after a success.
    public private(set) var lastError: String?

    public init(policy: Policy = Policy()) { self.policy = policy }

    /// Bodies not yet delivered: waiting ones plus the one being sent or waiting for its retry.
    public var queued: Int {
        if case .idle = phase { return pending.count - head }
        return pending.count - head + 1
    }

    /// Queues `body`; drops the oldest waiting body when full.
    public mutating func enqueue(_ body: [UInt8]) {
        if pending.count - head >= policy.capacity {
            head += 1
            counts.dropped += 1
        }
        pending.append(body)
        if head > 64, head * 2 > pending.count {
            pending.removeFirst(head)
            head = 0
        }
    }

    /// What to do at `now`: start the next attempt when one is due.
    public mutating func step(now: Double) -> Step {
        switch phase {
        case .sending:
            return .wait(until: nil)
        case .waiting(let body, let attempt, let until):
            guard now >= until else { return .wait(until: until) }
            phase = .sending(body: body, attempt: attempt)
            return .send(body: body, attempt: attempt, timeout: policy.attemptTimeout)
        case .idle:
            guard head < pending.count else { return .wait(until: nil) }
            let body = pending[head]
            pending[head] = []
            head += 1
            if head == pending.count { pending.removeAll(keepingCapacity: true); head = 0 }
            phase = .sending(body: body, attempt: 1)
            return .send(body: body, attempt: 1, timeout: policy.attemptTimeout)
        }
    }

    /// The attempt `step` asked for ended with `outcome` at `now`; `jitter` is uniform in [0, 1).
    public mutating func finished(_ outcome: Outcome, now: Double, jitter: Double) {
        guard case .sending(let body, let attempt) = phase else { return }
        let retryAfter: Double?
        switch outcome {
        case .answered(let status, let header) where (200..<300).contains(status):
            _ = header
            counts.sent += 1
            lastError = nil
            phase = .idle
            return
        case .answered(let status, let header):
            lastError = "HTTP \(status)"
            guard Self.isRetryable(status: status) else { giveUp(); return }
            retryAfter = header.flatMap { RetryAfter.seconds($0, now: now) }
        case .timedOut:
            lastError = "timed out after \(LeakMessage.oneDecimal(policy.attemptTimeout)) s"
            retryAfter = nil
        case .transportError(let text):
            lastError = text
            retryAfter = nil
        }
        guard attempt < policy.maximumAttempts else { giveUp(); return }
        let delay = max(backoff(afterAttempt: attempt, jitter: jitter), min(retryAfter ?? 0, policy.maximumRetryAfter))
        counts.retries += 1
        phase = .waiting(body: body, attempt: attempt + 1, until: now + delay)
    }

    /// The delay after failed attempt `attempt` (1-based): `initialBackoff · 2^(attempt-1)`, at most
    /// `maximumBackoff`, scaled into its upper half by `jitter` (so retries of many sinks spread out but
    /// never come sooner than half the nominal delay).
    public func backoff(afterAttempt attempt: Int, jitter: Double) -> Double {
        let nominal = min(policy.maximumBackoff, policy.initialBackoff * Double(1 << min(attempt - 1, 30)))
        return nominal * (0.5 + 0.5 * min(max(jitter, 0), 1))
    }

    /// 408 Request Timeout, 429 Too Many Requests and 5xx may succeed later; 410 Gone and other 4xx will not.
    public static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 429 || (500..<600).contains(status)
    }

    private mutating func giveUp() {
        counts.failed += 1
        phase = .idle
    }
}

/// The `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
public enum RetryAfter {
    /// Seconds to wait from `now` (Unix time): the header's delay, or the date minus `now` (at least 0);
    /// `nil` when it is neither.
    public static func seconds(_ header: String, now: Double) -> Double? {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let text = String(header.drop(while: blank).reversed().drop(while: blank).reversed())
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) { return Double(text) }
        guard let date = httpDate(text) else { return nil }
        return max(0, date - now)
    }

    /// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) as Unix time; `nil` otherwise (the obsolete forms
    /// are not accepted).
    public static func httpDate(_ text: String) -> Double? {
        let parts = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT",
              let day = Int64(parts[1]), (1...31).contains(day),
              let month = months.firstIndex(of: String(parts[2])), let year = Int64(parts[3]), parts[1].count == 2
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int64(clock[0]), let minute = Int64(clock[1]), let second = Int64(clock[2]),
              hour < 24, minute < 60, second < 61
        else { return nil }
        let days = RFC3339Text.daysFromCivil(year: year, month: Int64(month + 1), day: day)
        return Double(days * 86_400 + hour * 3_600 + minute * 60 + second)
    }
}
