import Logging
import Synchronization
import WardenCore

/// The `events.jsonl` subscriber of the event stream: writes every `.recorded` event as one line
/// (`EventLog`), off the supervisor actor.
final class EventLogSubscriber: Sendable {
    /// Rotation settings the writer applies before each line (a reload may change them), and its counts of
    /// failures.
    private final class Shared: Sendable {
        let rotation: Mutex<(maxBytes: UInt64, backups: Int)>
        let failedWrites = Atomic<Int>(0)
        let lostBytes = Atomic<UInt64>(0)
        let failedRotations = Atomic<Int>(0)
        init(maxBytes: UInt64, backups: Int) { rotation = Mutex((maxBytes, backups)) }
    }

    /// Events buffered for the writer before further ones are dropped (and counted by the bus).
    static let capacity = 65_536

    private let shared: Shared
    private let writer: Task<Void, Never>

    /// Subscribes to `bus` and starts writing to `path` (created mode 0640 if missing). The first failed
    /// write after a good one is logged as a warning at once (disk full, I/O error), and the first good one
    /// after failures says how many events were lost.
    init(bus: EventBus, path: String, maxBytes: UInt64, backups: Int, logger: Logger) {
        let shared = Shared(maxBytes: maxBytes, backups: backups)
        let events = bus.subscribe(name: "events.jsonl", capacity: Self.capacity)
        self.shared = shared
        writer = Task {
            let log = EventLog(path: path, maxBytes: maxBytes, backups: backups)
            var failing = false
            var failuresBefore = 0
            log.onFailure = { why in
                guard !failing else { return }
                failing = true
                logger.warning("events.jsonl: an event was lost: \(why); further losses are counted in /v1/health (events_failed_writes) until a write succeeds")
            }
            for await event in events {
                guard case .recorded(let record) = event else { continue }
                (log.maxBytes, log.backups) = shared.rotation.withLock { $0 }
                log.append(record)
                if failing && log.failedWrites == failuresBefore {
                    failing = false
                    logger.notice("events.jsonl: writing again; \(log.failedWrites) events lost so far")
                }
                failuresBefore = log.failedWrites
                shared.failedWrites.store(log.failedWrites, ordering: .relaxed)
                shared.lostBytes.store(log.lostBytes, ordering: .relaxed)
                shared.failedRotations.store(log.failedRotations, ordering: .relaxed)
            }
        }
    }

    /// Applies new `log_max_bytes` / `log_backups` from the next line on.
    func setRotation(maxBytes: UInt64, backups: Int) {
        shared.rotation.withLock { $0 = (maxBytes, backups) }
    }

    /// Events that could not be written so far.
    var failedWrites: Int { shared.failedWrites.load(ordering: .relaxed) }
    /// Bytes of the events that could not be written so far.
    var lostBytes: UInt64 { shared.lostBytes.load(ordering: .relaxed) }
    /// Rotations of the file that failed so far.
    var failedRotations: Int { shared.failedRotations.load(ordering: .relaxed) }

    /// Returns once every event published before the bus finished is written.
    func drained() async { await writer.value }
}
