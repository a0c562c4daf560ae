/// What one call into `PoolAlertTracker` changed: alerts opened and resolved (for `events.jsonl`), and
/// workers that crossed into a connection-leak verdict (for the supervisor to restart or report).
public struct PoolCheckResult: Sendable, Equatable {
    /// Alerts opened by this call, in evaluation order: per sample as given, usage, long-running (by
    /// connection id), then leaks (by worker name).
    public var opened: [PoolAlert] = []
    /// Alerts resolved by this call (`resolvedAt` set), in evaluation order.
    public var resolved: [PoolAlert] = []
    /// Workers whose connection leak reached a verdict at this check. A worker appears once per leak
    /// episode; act on it (restart when its program's `connection_leak` is `restart`) exactly once.
    public var leakVerdicts: [ConnectionLeakVerdict] = []

    public init(opened: [PoolAlert] = [], resolved: [PoolAlert] = [], leakVerdicts: [ConnectionLeakVerdict] = []) {
        self.opened = opened; self.resolved = resolved; self.leakVerdicts = leakVerdicts
    }

    /// `true` when nothing changed.
    public var isEmpty: Bool { opened.isEmpty && resolved.isEmpty && leakVerdicts.isEmpty }

    /// Appends `other`'s changes.
    public mutating func merge(_ other: PoolCheckResult) {
        opened += other.opened; resolved += other.resolved; leakVerdicts += other.leakVerdicts
    }
}
