import Synchronization
import WardenCore

/// The `events.jsonl` subscriber of the event stream: writes every `.recorded` event as one line
/// (`EventLog`), off the supervisor actor.
final class EventLogSubscriber: Sendable {
    /// Rotation settings the writer applies before each line (a reload may change them), and its count of
    /// failed writes.
    private final class Shared: Sendable {
        let rotation: Mutex<(maxBytes: UInt64, backups: Int)>
        let failedWrites = Atomic<Int>(0)
        init(maxBytes: UInt64, backups: Int) { rotation = Mutex((maxBytes, backups)) }
    }

    /// Events buffered for the writer before further ones are dropped (and counted by the bus).
    static let capacity = 65_536

    private let shared: Shared
    private let writer: Task<Void, Never>

    /// Subscribes to `bus` and starts writing to `path` (created mode 0640 if missing).
    init(bus: EventBus, path: String, maxBytes: UInt64, backups: Int) {
        let shared = Shared(maxBytes: maxBytes, backups: backups)
        let events = bus.subscribe(name: "events.jsonl", capacity: Self.capacity)
        self.shared = shared
        writer = Task {
            let log = EventLog(path: path, maxBytes: maxBytes, backups: backups)
            for await event in events {
                guard case .recorded(let record) = event else { continue }
                (log.maxBytes, log.backups) = shared.rotation.withLock { $0 }
                log.append(record)
                shared.failedWrites.store(log.failedWrites, ordering: .relaxed)
            }
        }
    }

    /// Applies new `log_max_bytes` / `log_backups` from the next line on.
    func setRotation(maxBytes: UInt64, backups: Int) {
        shared.rotation.withLock { $0 = (maxBytes, backups) }
    }

    /// Events that could not be written so far.
    var failedWrites: Int { shared.failedWrites.load(ordering: .relaxed) }

    /// Returns once every event published before the bus finished is written.
    func drained() async { await writer.value }
}
