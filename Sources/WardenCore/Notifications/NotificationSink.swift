/// One `[notify.NAME]` sink's decisions, whole: which records it takes (`NotificationFilter`), the body of
/// each (`format`), the Alertmanager conditions it keeps re-sending (`AlertmanagerBook`), and their
/// delivery (`DeliveryQueue`). Pure: the runtime feeds it records and the time, asks `step` what to do,
/// and reports each attempt's outcome.
public struct NotificationSink: Sendable {
    public let name: String
    public let format: NotificationFormat
    public let filter: NotificationFilter
    /// The host name put in Slack lines and Alertmanager's `host` label.
    public let host: String
    private var book: AlertmanagerBook
    public private(set) var delivery: DeliveryQueue

    public init(name: String, format: NotificationFormat, filter: NotificationFilter, host: String,
                policy: DeliveryQueue.Policy = .init()) {
        self.name = name; self.format = format; self.filter = filter; self.host = host
        book = AlertmanagerBook(host: host)
        delivery = DeliveryQueue(policy: policy)
    }

    /// Takes one record of the event stream at `now`; queues its body when the sink is sent it.
    public mutating func received(_ event: WardenEvent, now: Double) {
        let accepted = filter.accepts(event)
        switch format {
        case .alertmanager:
            let alerts = book.apply(event, accepted: accepted, now: now)
            if !alerts.isEmpty, let body = EventJSON.bytes(alerts) { delivery.enqueue(body) }
        case .json, .slack:
            if accepted, let body = Self.body(of: event, format: format, host: host) { delivery.enqueue(body) }
        }
    }

    /// What to do at `now`. For Alertmanager, the active alerts are queued again when due, unless a body is
    /// still waiting (it is sent first; the re-send follows once the queue is empty).
    public mutating func step(now: Double) -> DeliveryQueue.Step {
        if format == .alertmanager, delivery.queued == 0, let alerts = book.resendDue(now: now),
           let body = EventJSON.bytes(alerts) {
            delivery.enqueue(body)
            book.sent(now: now)
        }
        let step = delivery.step(now: now)
        guard case .wait(let until) = step, format == .alertmanager, let resend = book.nextResend() else { return step }
        return .wait(until: until.map { min($0, resend) } ?? resend)
    }

    /// The attempt `step` asked for ended with `outcome` at `now`; `jitter` is uniform in [0, 1).
    public mutating func finished(_ outcome: DeliveryQueue.Outcome, now: Double, jitter: Double) {
        delivery.finished(outcome, now: now, jitter: jitter)
    }

    /// The Alertmanager conditions active now.
    public var activeAlerts: [AlertmanagerAlert] { book.activeAlerts }

    /// The request body of `event` in a `json` or `slack` sink (`alertmanager` bodies come from the book).
    public static func body(of event: WardenEvent, format: NotificationFormat, host: String) -> [UInt8]? {
        switch format {
        case .json: return EventJSON.bytes(event)
        case .slack: return EventJSON.bytes(["text": NotificationText.line(event, host: host)])
        case .alertmanager: return EventJSON.bytes([AlertmanagerBook.alert(for: event, host: host)])
        }
    }
}
