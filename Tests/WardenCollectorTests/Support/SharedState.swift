import Synchronization

/// A `Mutex`-protected value in a class, so that `@Sendable` callbacks (termination and readability
/// handlers on Dispatch threads) and the test's task can share it.
final class SharedState<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    /// Runs `body` with exclusive access to the value.
    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }

    /// A copy of the current value.
    var value: Value { mutex.withLock { $0 } }
}
