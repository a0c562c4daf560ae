import Synchronization
public import WardenCore

/// The supervisor's one event stream, fanned out to every subscriber (event log, history, metrics, …).
///
/// `publish` never blocks and never waits for a subscriber: each subscriber has a bounded buffer, and an
/// event that finds it full is dropped for that subscriber and counted (`statistics`). Thread-safe.
public final class EventBus: Sendable {
    /// One subscriber's counters.
    public struct SubscriberStatistics: Sendable, Equatable {
        public var name: String
        /// Events handed to the subscriber's buffer.
        public var delivered: Int
        /// Events lost because its buffer was full.
        public var dropped: Int
    }

    private struct Subscriber {
        var name: String
        var continuation: AsyncStream<SupervisionEvent>.Continuation
        var delivered = 0
        var dropped = 0
    }

    private let subscribers = Mutex<[Subscriber]>([])

    public init() {}

    /// A new subscription that receives every event published from now on.
    /// - Parameters:
    ///   - name: shown in the statistics (`/v1/health`).
    ///   - capacity: events buffered before further ones are dropped (at least 1).
    /// - Returns: the events, in publication order; the sequence ends when the bus finishes.
    public func subscribe(name: String, capacity: Int) -> AsyncStream<SupervisionEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: SupervisionEvent.self, bufferingPolicy: .bufferingOldest(max(1, capacity)))
        subscribers.withLock { $0.append(Subscriber(name: name, continuation: continuation)) }
        return stream
    }

    /// Hands `event` to every subscriber's buffer.
    public func publish(_ event: SupervisionEvent) {
        subscribers.withLock { list in
            for index in list.indices {
                if case .dropped = list[index].continuation.yield(event) {
                    list[index].dropped += 1
                } else {
                    list[index].delivered += 1
                }
            }
        }
    }

    /// Ends every subscription (after the events already buffered).
    public func finish() {
        subscribers.withLock { list in list.forEach { $0.continuation.finish() } }
    }

    /// Delivered and dropped counts per subscriber.
    public var statistics: [SubscriberStatistics] {
        subscribers.withLock { list in
            list.map { SubscriberStatistics(name: $0.name, delivered: $0.delivered, dropped: $0.dropped) }
        }
    }
}
