/// Body of `POST /v1/processes/start|stop|restart`: `{"names": ["api", "worker:*", "all"]}`.
///
/// Names are instance names (`api:0`), program names (all instances), `PROGRAM:*`, or `all`.
public struct ProcessActionRequest: Codable, Sendable, Equatable {
    public var names: [String]
    public init(names: [String]) { self.names = names }
}

/// Body of `POST /v1/processes/signal`: `{"names": ["api:0"], "signal": "USR1", "group": false}`.
///
/// `signal` is a name (`USR1`, `SIGHUP`) or a number 1-64 (`OperatorSignal`); `group` (default false) sends
/// it to the process group (every process of the tree that stayed in it) instead of the main process.
public struct ProcessSignalRequest: Codable, Sendable, Equatable {
    public var names: [String]
    public var signal: String
    public var group: Bool?
    public init(names: [String], signal: String, group: Bool? = nil) {
        self.names = names; self.signal = signal; self.group = group
    }
}

/// Body of a successful action: the instances acted on and their state once the action finished.
public struct ProcessActionResult: Codable, Sendable, Equatable {
    public var processes: [ProcessStatus]
    public init(processes: [ProcessStatus]) { self.processes = processes }
}

/// Body of every error answer (HTTP 4xx/5xx): `{"error": {"field": "names", "message": "..."}}`.
public struct APIErrorBody: Codable, Sendable, Equatable, Error {
    public struct Detail: Codable, Sendable, Equatable {
        /// The request field at fault (`names`, `body`), or `nil` when the fault is not a field's.
        public var field: String?
        public var message: String

        /// Explicit so that a missing field is written `"field": null` (the README's error shape), not left out.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(field, forKey: .field)
            try c.encode(message, forKey: .message)
        }
    }
    public var error: Detail
    public init(field: String?, message: String) { error = Detail(field: field, message: message) }
}

/// Route paths of the control API (HTTP/1.1 + JSON on `STATE_DIR/warden.sock`).
public enum APIRoute {
    public static let processes = "/v1/processes"
    /// `GET`: one `ProcessStatus` (an instance, or a program with one instance); 404 naming an unknown one.
    public static let process = "/v1/processes/:name"
    public static let start = "/v1/processes/start"
    public static let stop = "/v1/processes/stop"
    public static let restart = "/v1/processes/restart"
    /// `POST` `ProcessSignalRequest`: `ProcessActionResult` once the signal was sent.
    public static let signal = "/v1/processes/signal"
    public static let shutdown = "/v1/shutdown"
    public static let reload = "/v1/reload"
    public static let health = "/v1/health"
    /// `GET`: `{"pools": [...]}`, the latest sample of every collector's pools.
    public static let pools = "/v1/pools"
    /// `GET`: `{"alerts": [...]}`, open and recently resolved pool alerts.
    public static let alerts = "/v1/alerts"
    /// `GET`: the Prometheus text exposition of every metric (`MetricsSource`).
    public static let metrics = "/metrics"
    /// `GET ?hours=H` or `?since=&until=`: `ProcessHistory` of one instance (`processHistory(NAME)`).
    public static let processHistory = "/v1/processes/:name/history"
    /// `GET ?hours=H[&collector=C]`: `PoolHistoryList`.
    public static let poolHistory = "/v1/pools/history"
    /// `GET ?hours=H[&process=NAME][&kind=K]`: `EventList`.
    public static let events = "/v1/events"
}
