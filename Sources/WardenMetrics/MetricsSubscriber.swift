public import WardenAPI
public import WardenCore
import Glibc
import Prometheus
import Synchronization
import WardenLinux

/// The Prometheus subscriber of the event stream: keeps every series `MetricFamily` names from what the
/// supervisor publishes, and renders them in the text exposition format for `GET /metrics`.
///
/// It never asks the supervisor anything: the series come from the stream alone, plus Warden's own
/// `process_*` figures from /proc/self and the stream's drop count, read when rendered.
public final class MetricsSubscriber: MetricsSource {
    /// Events buffered before further ones are dropped (and counted). A sampling round is one event
    /// holding every process; applying one takes about a millisecond, so a backlog means Warden is starved.
    public static let capacity = 1_024

    private let book: LockedBook
    private let registry: PrometheusCollectorRegistry
    private let consumer: Task<Void, Never>
    private let droppedEvents: @Sendable () -> Int
    private let losses: (@Sendable () -> WardenLosses)?
    private let notifications: (any NotificationsReporting)?
    private let selfMetrics: SelfMetrics

    /// Starts consuming `events` (from `EventBus.subscribe`). `droppedEvents` returns the drops of every
    /// subscriber so far (`EventBus` statistics); `losses` Warden's failed writes and dropped output;
    /// `notifications`, the sinks whose counters are exposed.
    public init(events: AsyncStream<SupervisionEvent>, droppedEvents: @escaping @Sendable () -> Int,
                losses: (@Sendable () -> WardenLosses)? = nil, notifications: (any NotificationsReporting)? = nil) {
        let registry = PrometheusCollectorRegistry()
        let book = LockedBook(MetricsBook(registry: registry))
        self.registry = registry
        self.book = book
        self.droppedEvents = droppedEvents
        self.losses = losses
        self.notifications = notifications
        self.selfMetrics = SelfMetrics(registry: registry)
        consumer = Task {
            for await event in events {
                book.state.withLock { $0.apply(event) }
            }
        }
    }

    /// The exposition (text format 0.0.4) of every series now.
    public func render() -> [UInt8] {
        let dropped = droppedEvents()
        let lost = losses?()
        let sinks = notifications?.health() ?? []
        book.state.withLock {
            $0.eventsDropped(total: dropped)
            if let lost { $0.losses(lost) }
            $0.notifications(sinks)
        }
        selfMetrics.update()
        return registry.emitToBuffer()
    }

    /// Returns once every event published before the stream finished has been applied.
    public func drained() async { await consumer.value }
}

/// The book behind its lock, shared by the consuming task and `render()`.
private final class LockedBook: Sendable {
    let state: Mutex<MetricsBook>
    init(_ book: sending MetricsBook) { state = Mutex(book) }
}

/// Warden's own `process_*` metrics, as the Prometheus client libraries define them, from /proc/self.
private final class SelfMetrics: Sendable {
    private let cpu: Counter
    private let cpuSoFar = Mutex(0.0)
    private let resident: Gauge
    private let virtual: Gauge
    private let openFDs: Gauge
    private let maxFDs: Gauge
    private let startTime: Gauge

    init(registry: PrometheusCollectorRegistry) {
        func gauge(_ family: MetricFamily) -> Gauge { registry.makeGauge(name: family.rawValue, help: family.help) }
        cpu = registry.makeCounter(name: MetricFamily.selfCPUSeconds.rawValue, help: MetricFamily.selfCPUSeconds.help)
        resident = gauge(.selfResidentMemory)
        virtual = gauge(.selfVirtualMemory)
        openFDs = gauge(.selfOpenFDs)
        maxFDs = gauge(.selfMaxFDs)
        startTime = gauge(.selfStartTime)
        let pid = getpid()
        if let stat = ProcReader.readStat(pid: pid) {
            // Wall-clock now minus the time since boot at which Warden started.
            var realtime = timespec(), boottime = timespec()
            clock_gettime(CLOCK_REALTIME, &realtime)
            clock_gettime(CLOCK_BOOTTIME, &boottime)
            let sinceBoot = Double(boottime.tv_sec) + Double(boottime.tv_nsec) / 1e9
            let started = Double(stat.startTime) / Double(ProcReader.clockTicksPerSecond)
            startTime.set(to: (Double(realtime.tv_sec) + Double(realtime.tv_nsec) / 1e9 - (sinceBoot - started)).rounded())
        }
    }

    func update() {
        let pid = getpid()
        if let stat = ProcReader.readStat(pid: pid) {
            let seconds = Double(stat.utime &+ stat.stime) / Double(ProcReader.clockTicksPerSecond)
            let delta = cpuSoFar.withLock { soFar -> Double in
                defer { soFar = max(soFar, seconds) }
                return seconds - soFar
            }
            if delta > 0 { cpu.increment(by: delta) }
        }
        if let statm = ProcReader.readStatm(pid: pid) {
            resident.set(to: Double(statm.residentPages) * Double(ProcReader.pageSize))
            virtual.set(to: Double(statm.sizePages) * Double(ProcReader.pageSize))
        }
        if let fds = ProcReader.fdCount(pid: pid) { openFDs.set(to: Double(fds)) }
        if let limit = try? ResourceLimits.openFileLimit() { maxFDs.set(to: Double(limit.soft)) }
    }
}
