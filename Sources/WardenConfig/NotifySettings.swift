public import WardenCore

/// One `[notify.NAME]` table: where notifications go, in which format, signed with which secret, and which
/// records are sent (`docs/events.md` lists the records; `Notifiable` says which are notifications).
public struct NotifySettings: Sendable, Equatable {
    /// `NAME` of `[notify.NAME]`: the sink's name in logs, `/v1/health` and `/metrics`.
    public var name: String
    /// `url`: the endpoint every notification is POSTed to (Alertmanager: its `…/api/v2/alerts`).
    public var url: WebhookURL
    /// `format`: `json`, `slack` or `alertmanager`.
    public var format: NotificationFormat
    /// `secret_file`, absolute; `nil` without one.
    public var secretFile: String?
    /// The HMAC key read from `secret_file` at load: bodies are signed with `X-Warden-Signature-256`.
    public var secret: Secret?
    /// `events` and `min_severity`.
    public var filter: NotificationFilter
    /// `timeout`: the bound of one attempt (connect to last byte). Default 10 s.
    public var timeout: Duration

    public static let defaultTimeout: Duration = .seconds(10)

    public init(name: String, url: WebhookURL, format: NotificationFormat, secretFile: String? = nil, secret: Secret? = nil,
                filter: NotificationFilter = .init(), timeout: Duration = defaultTimeout) {
        self.name = name; self.url = url; self.format = format; self.secretFile = secretFile; self.secret = secret
        self.filter = filter; self.timeout = timeout
    }
}
