public import WardenCore

/// The narrow surface that interfaces (HTTP control API, CLI) use to drive the supervisor.
///
/// Every method is safe to call from any task; the supervisor serialises them. Name arguments accept
/// instance names (`api:0`), program names (every instance), `PROGRAM:*` and `all`.
public protocol SupervisorControl: Sendable {
    /// Status of the named processes, or of every process when `names` is empty, sorted by name.
    /// - Throws: `ControlError` with code `.unknownName` naming the first unknown name.
    func status(names: [String]) async throws(ControlError) -> [ProcessStatus]
    /// Starts the named processes and returns once each left STARTING (RUNNING, BACKOFF-exhausted FATAL...).
    /// - Throws: `.unknownName`; `.actionFailed` when a process ended FATAL.
    func start(names: [String]) async throws(ControlError) -> [ProcessStatus]
    /// Stops the named processes and returns once every process of their trees is gone.
    /// - Throws: `.unknownName`.
    func stop(names: [String]) async throws(ControlError) -> [ProcessStatus]
    /// Stops then starts the named processes (reason `manual`).
    /// - Throws: `.unknownName`; `.actionFailed` when a process could not be started again.
    func restart(names: [String]) async throws(ControlError) -> [ProcessStatus]
    /// Sends `signal` to the main process of each named process, or to its process group when `group`.
    /// Nothing is sent unless every named process has a live process.
    /// - Throws: `.unknownName`; `.actionFailed` naming the processes that have no process (STOPPED, …).
    func signal(names: [String], signal: OperatorSignal, group: Bool) async throws(ControlError) -> [ProcessStatus]
    /// Re-reads the config file and applies the difference, as SIGHUP does.
    /// - Returns: human lines describing what changed.
    /// - Throws: `.invalidConfig` with every diagnostic (`FILE:LINE: message`), nothing applied.
    func reload() async throws(ControlError) -> [String]
    /// Begins a graceful shutdown of Warden and every worker; returns at once.
    func shutdown() async
    /// Liveness and counters (`GET /v1/health`).
    func health() async -> HealthStatus
    /// The latest sample of every pool of every collector (`GET /v1/pools`).
    func pools() async -> PoolList
    /// Open and recently resolved pool alerts (`GET /v1/alerts`).
    func alerts() async -> AlertList
}

/// An error answered to a control request; `field` names the request field at fault.
public struct ControlError: Error, Sendable, Equatable {
    public enum Code: String, Sendable { case unknownName, actionFailed, invalidConfig, shuttingDown }
    public var code: Code
    public var field: String?
    public var message: String
    public init(_ code: Code, field: String? = nil, message: String) {
        self.code = code; self.field = field; self.message = message
    }
}

/// What `GET /metrics` serves: Prometheus's text exposition (format 0.0.4), rendered on each request.
public protocol MetricsSource: Sendable {
    /// Every series now, in the text exposition format.
    func render() -> [UInt8]
}
