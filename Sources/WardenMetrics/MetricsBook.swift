import Prometheus
import WardenAPI
import WardenCore
import WardenPluginProtocol

/// The series Warden exposes, kept up to date from the supervision event stream (`apply(_:)`).
///
/// Not thread-safe: `MetricsSubscriber` owns one behind a mutex. The registry itself renders concurrently.
/// Series follow the instances: measurement series exist while an instance has a process (the first
/// sample creates them, a state without a process drops them), state and restart series while the
/// instance is configured (`process-added` … `process-removed`); pool series while the collector reports
/// the pool, worker series while the pool reports the worker.
final class MetricsBook {
    let registry: PrometheusCollectorRegistry

    /// The measurement series of one instance with a process. A class, and gauges in arrays in a fixed
    /// order: each sampling round updates every instance's series, so a round must not copy them, hash
    /// family names, or write a severity gauge whose value did not change.
    private final class Measured {
        /// In `Measured.families` order.
        let gauges: [Gauge]
        /// In `MetricsBook.severities` order.
        let severity: [Gauge]
        let cpu: Counter
        var cpuSeconds = 0.0
        var info: Gauge
        var pid: Int32
        /// Index in `severity` of the gauge set to 1; -1 before the first sample.
        var grade = -1

        static let families: [MetricFamily] = [.residentMemory, .treeResidentMemory, .openFDs, .treeOpenFDs, .maxFDs,
                                               .threads, .treeThreads, .startTime, .memoryGrowth]

        init(gauges: [Gauge], severity: [Gauge], cpu: Counter, info: Gauge, pid: Int32) {
            self.gauges = gauges; self.severity = severity; self.cpu = cpu; self.info = info; self.pid = pid
        }
    }

    /// The state series of one configured instance.
    private struct Configured {
        var program: String
        var states: [ProcessState: Gauge]
        var restarts: [String: Counter] = [:]
    }

    private struct PoolSeries {
        var gauges: [MetricFamily: Gauge]
        var connections: [String: Gauge]
        var workers: [String: Gauge] = [:]
        /// Worker → its backends' [resident, proportional] memory gauges (local servers only).
        var backendMemory: [String: [Gauge]] = [:]
    }

    private var measured: [String: Measured] = [:]
    private var configured: [String: Configured] = [:]
    /// collector → pool → series.
    private var pools: [String: [String: PoolSeries]] = [:]
    private var alerts: [String: Gauge] = [:]
    private var openAlerts: [String: Int] = [:]
    private let sampling: Counter
    /// `warden_sampling_rounds_late_total`, and the total it was brought up to (a dropped round event loses
    /// no late round: each round carries the total).
    private let lateRounds: Counter
    private var lateRoundsSoFar = 0
    private let dropped: Counter
    private var droppedSoFar = 0
    /// Warden's own losses (`WardenLosses`): the counters and what they have been given so far.
    private let lossCounters: [Counter]
    private var lossesSoFar: [UInt64] = [0, 0, 0, 0]
    /// Per sink: its counters and what they had reached at the last render.
    private var sinks: [String: SinkSeries] = [:]

    private struct SinkSeries {
        var counters: [MetricFamily: (counter: Counter, soFar: Int)]
        var queued: Gauge
    }

    /// Every severity name, in order (`warming-up`, `none` … `critical`).
    static let severities = SeverityGrade.allGrades.map(\.description)
    static let connectionStates = ["in_use", "idle", "waiting"]

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        sampling = registry.makeCounter(name: MetricFamily.samplingSeconds.rawValue, help: MetricFamily.samplingSeconds.help)
        lateRounds = registry.makeCounter(name: MetricFamily.samplingRoundsLate.rawValue, help: MetricFamily.samplingRoundsLate.help)
        dropped = registry.makeCounter(name: MetricFamily.eventsDropped.rawValue, help: MetricFamily.eventsDropped.help)
        func counter(_ family: MetricFamily, _ labels: [(String, String)] = []) -> Counter {
            registry.makeCounter(name: family.rawValue, labels: labels, help: family.help)
        }
        lossCounters = [counter(.eventsFailedWrites), counter(.outputDroppedBytes),
                        counter(.logRotationsFailed, [("log", "events")]), counter(.logRotationsFailed, [("log", "output")])]
        for kind in AlertKind.allCases {
            alerts[kind.rawValue] = gauge(.alertsActive, [kind.rawValue])
        }
    }

    // MARK: Series through the name table

    private func gauge(_ family: MetricFamily, _ values: [String]) -> Gauge {
        precondition(!family.isCounter && values.count == family.labels.count, "\(family)")
        guard !values.isEmpty else { return registry.makeGauge(name: family.rawValue, help: family.help) }
        return registry.makeGauge(name: family.rawValue, labels: Array(zip(family.labels, values)), help: family.help)
    }

    private func counter(_ family: MetricFamily, _ values: [String]) -> Counter {
        precondition(family.isCounter && values.count == family.labels.count, "\(family)")
        return registry.makeCounter(name: family.rawValue, labels: Array(zip(family.labels, values)), help: family.help)
    }

    // MARK: Events

    func apply(_ event: SupervisionEvent) {
        switch event {
        case .recorded(let record): apply(record)
        case .sampled(let round): apply(round)
        case .collected(let round): apply(round)
        }
    }

    /// Adds the event buffers' drops counted since the last call (`EventBus` statistics).
    func eventsDropped(total: Int) {
        if total > droppedSoFar { dropped.increment(by: Int64(total - droppedSoFar)) }
        droppedSoFar = total
    }

    /// Brings the loss counters up to `losses` (totals since Warden started).
    func losses(_ losses: WardenLosses) {
        let totals = [UInt64(max(losses.eventsFailedWrites, 0)), losses.outputDroppedBytes,
                      UInt64(max(losses.eventsFailedRotations, 0)), losses.outputFailedRotations]
        for (index, total) in totals.enumerated() where total > lossesSoFar[index] {
            lossCounters[index].increment(by: Int64(clamping: total - lossesSoFar[index]))
            lossesSoFar[index] = total
        }
    }

    /// Brings the notification series up to the sinks' counters (`/v1/health`'s `notifications`).
    func notifications(_ health: [NotificationSinkHealth]) {
        for sink in health {
            var series = sinks[sink.name] ?? SinkSeries(
                counters: Dictionary(uniqueKeysWithValues: [MetricFamily.notificationsSent, .notificationsFailed, .notificationsDropped]
                    .map { ($0, (counter($0, [sink.name]), 0)) }),
                queued: gauge(.notificationsQueued, [sink.name]))
            for (family, total) in [(MetricFamily.notificationsSent, sink.sent), (.notificationsFailed, sink.failed),
                                    (.notificationsDropped, sink.dropped)] {
                guard let entry = series.counters[family], total > entry.soFar else { continue }
                entry.counter.increment(by: Int64(total - entry.soFar))
                series.counters[family] = (entry.counter, total)
            }
            series.queued.set(to: Double(sink.queued))
            sinks[sink.name] = series
        }
    }

    private func apply(_ record: WardenEvent) {
        switch record.event {
        case .processAdded:
            guard let name = record.process, let program = record.program else { return }
            setState(record.newState ?? .stopped, of: name, program: program)
        case .stateChange:
            guard let name = record.process, let program = record.program, let state = record.newState else { return }
            setState(state, of: name, program: program)
            if let reason = record.restartReason, var entry = configured[name] {
                let restarts = entry.restarts[reason] ?? counter(.restarts, [program, name, reason])
                restarts.increment()
                entry.restarts[reason] = restarts
                configured[name] = entry
            }
            if !state.hasProcess { dropMeasured(name) }
        case .processRemoved:
            guard let name = record.process else { return }
            dropMeasured(name)
            if let entry = configured.removeValue(forKey: name) {
                for gauge in entry.states.values { registry.unregisterGauge(gauge) }
                for counter in entry.restarts.values { registry.unregisterCounter(counter) }
            }
        case .poolAlert, .poolAlertResolved, .processAlert, .processAlertResolved:
            guard let kind = record.reason, let gauge = alerts[kind] else { return }
            let open = max(0, (openAlerts[kind] ?? 0) + (record.event.isAlertResolution ? -1 : 1))
            openAlerts[kind] = open
            gauge.set(to: Double(open))
        default:
            break
        }
    }

    private func setState(_ state: ProcessState, of name: String, program: String) {
        var entry = configured[name] ?? Configured(
            program: program,
            states: Dictionary(uniqueKeysWithValues: ProcessState.allCases.map { ($0, gauge(.state, [program, name, $0.rawValue])) }))
        for (each, gauge) in entry.states { gauge.set(to: each == state ? 1 : 0) }
        entry.program = program
        configured[name] = entry
    }

    private func apply(_ round: SampleRound) {
        if round.samplingCPUSeconds > 0 { sampling.increment(by: round.samplingCPUSeconds) }
        if round.lateRounds > lateRoundsSoFar {
            lateRounds.increment(by: Int64(round.lateRounds - lateRoundsSoFar))
            lateRoundsSoFar = round.lateRounds
        }
        for measurement in round.processes { apply(measurement) }
    }

    private func apply(_ m: ProcessMeasurement) {
        let entry: Measured
        if let existing = measured[m.process] {
            entry = existing
            if entry.pid != m.pid {
                registry.unregisterGauge(entry.info)
                entry.info = gauge(.info, [m.program, m.process, String(m.pid)])
                entry.info.set(to: 1)
                entry.pid = m.pid
            }
        } else {
            let labels = [m.program, m.process]
            entry = Measured(
                gauges: Measured.families.map { gauge($0, labels) },
                severity: Self.severities.map { gauge(.leakSeverity, labels + [$0]) },
                cpu: counter(.cpuSeconds, labels), info: gauge(.info, labels + [String(m.pid)]), pid: m.pid)
            entry.info.set(to: 1)
            measured[m.process] = entry
        }
        let o = m.observation
        // Measured.families order.
        let values: [Double] = [
            Double(o.mainRSSBytes), Double(o.treeRSSBytes), Double(o.mainFDs ?? 0), Double(o.fds),
            m.maxFDs.map { Double($0) } ?? 0, Double(o.mainThreads), Double(o.threads), m.startTimeSeconds ?? 0,
            (m.rssGrowthMBPerMinute ?? 0) * 1_048_576 / 60,
        ]
        for (gauge, value) in zip(entry.gauges, values) { gauge.set(to: value) }
        let grade = m.severity.rank  // `severities` is in `SeverityGrade.allGrades` order
        if grade != entry.grade {
            if entry.grade >= 0 { entry.severity[entry.grade].set(to: 0) }
            if grade >= 0 { entry.severity[grade].set(to: 1) }
            entry.grade = grade
        }
        if let seconds = m.cpuSeconds {
            // A counter only grows: a smaller reading is a new process tree (or a child's time that left
            // with it), so the counter starts over, as Prometheus's rate() expects of a reset.
            if seconds < entry.cpuSeconds { entry.cpu.reset() ; entry.cpuSeconds = 0 }
            if seconds > entry.cpuSeconds { entry.cpu.increment(by: seconds - entry.cpuSeconds) }
            entry.cpuSeconds = seconds
        }
    }

    private func dropMeasured(_ name: String) {
        guard let entry = measured.removeValue(forKey: name) else { return }
        for gauge in entry.gauges { registry.unregisterGauge(gauge) }
        for gauge in entry.severity { registry.unregisterGauge(gauge) }
        registry.unregisterCounter(entry.cpu)
        registry.unregisterGauge(entry.info)
    }

    private func apply(_ round: PoolRound) {
        var current = pools[round.collector] ?? [:]
        let reported = Set(round.pools.map(\.pool))
        for (pool, series) in current where !reported.contains(pool) {
            unregister(series)
            current[pool] = nil
        }
        for sample in round.pools {
            let labels = [round.collector, sample.pool]
            var series = current[sample.pool] ?? PoolSeries(
                gauges: Dictionary(uniqueKeysWithValues: [MetricFamily.poolMaxConnections, .poolUsage, .poolUnattributed]
                    .map { ($0, gauge($0, labels)) }),
                connections: Dictionary(uniqueKeysWithValues: Self.connectionStates.map { ($0, gauge(.poolConnections, labels + [$0])) }))
            series.gauges[.poolMaxConnections]?.set(to: Double(sample.max))
            series.gauges[.poolUsage]?.set(to: PoolSnapshot.usage(of: sample) ?? 0)
            series.gauges[.poolUnattributed]?.set(to: Double(sample.unattributed))
            series.connections["in_use"]?.set(to: Double(sample.inUse))
            series.connections["idle"]?.set(to: Double(sample.idle))
            series.connections["waiting"]?.set(to: Double(sample.waiting ?? 0))
            for (worker, gauge) in series.workers where sample.byWorker[worker] == nil {
                registry.unregisterGauge(gauge)
                series.workers[worker] = nil
            }
            for (worker, count) in sample.byWorker {
                let gauge = series.workers[worker] ?? gauge(.poolWorkerConnections, labels + [worker])
                gauge.set(to: Double(count))
                series.workers[worker] = gauge
            }
            let memory = sample.backendMemory ?? [:]
            for (worker, gauges) in series.backendMemory where memory[worker] == nil {
                for gauge in gauges { registry.unregisterGauge(gauge) }
                series.backendMemory[worker] = nil
            }
            for (worker, reading) in memory {
                let gauges = series.backendMemory[worker]
                    ?? [gauge(.poolBackendResidentMemory, labels + [worker]), gauge(.poolBackendProportionalMemory, labels + [worker])]
                gauges[0].set(to: Double(reading.rssBytes))
                gauges[1].set(to: Double(reading.pssBytes))
                series.backendMemory[worker] = gauges
            }
            current[sample.pool] = series
        }
        pools[round.collector] = current
    }

    private func unregister(_ series: PoolSeries) {
        for gauge in series.gauges.values { registry.unregisterGauge(gauge) }
        for gauge in series.connections.values { registry.unregisterGauge(gauge) }
        for gauge in series.workers.values { registry.unregisterGauge(gauge) }
        for gauge in series.backendMemory.values.joined() { registry.unregisterGauge(gauge) }
    }
}
