public import Logging
public import WardenAPI
public import WardenCore
import Foundation
import SQLiteNIO
import Synchronization

/// The history subscriber of the event stream: writes every sampling round (raw samples and the rollups
/// it closes), every pool round and every recorded event to `HistoryStore`, one transaction per round,
/// and answers the history queries. It never asks the supervisor anything, and the supervisor never
/// waits on it: a slow disk only fills this subscriber's buffer, whose overflow the bus counts.
///
/// Faults never stop supervision. A file that cannot be opened as a database (corrupt, not SQLite, a
/// newer schema) is renamed `PATH.corrupt-TIME` and a fresh one started. A write that fails for I/O (disk
/// full, EIO) loses that batch and pauses writing for a minute. Both are logged and counted
/// (`health()`, shown in `/v1/health`).
public final class HistorySubscriber: HistoryQuerying {
    public struct Settings: Sendable {
        /// The database file.
        public var path: String
        /// How long the history keeps data, seconds (the last tier's retention).
        public var retention: Double
        /// Bound of the database's size; the oldest tenth is deleted while it is above.
        public var maxBytes: UInt64
        /// The supervisor's sampling interval, seconds (how raw samples are counted in a query plan).
        public var sampleInterval: Double

        public init(path: String, retention: Double, maxBytes: UInt64, sampleInterval: Double) {
            self.path = path; self.retention = retention; self.maxBytes = maxBytes; self.sampleInterval = sampleInterval
        }
    }

    /// Events buffered before further ones are dropped (and counted by the bus). A sampling round is one
    /// event holding every process, so this is about 15 minutes of 1 s rounds — some 75 MB at 500
    /// processes if the disk stalls that long — plus the events between them.
    public static let capacity = 1_024
    /// Most events one `/v1/events` answer holds.
    public static let maximumEvents = 10_000

    private let settings: Settings
    private let shared: HistoryShared
    private let consumer: Task<Void, Never>

    /// Subscribed stream in, history out. Opens (or creates) the database in the background.
    public init(events: AsyncStream<SupervisionEvent>, settings: Settings, logger: Logger) {
        self.settings = settings
        let shared = HistoryShared()
        self.shared = shared
        consumer = Task {
            var writer = HistoryWriter(settings: settings, shared: shared, logger: logger)
            await writer.open()
            for await event in events { await writer.consume(event) }
            await writer.finish()
        }
    }

    /// Returns once every event published before the stream finished is written and the file closed.
    public func drained() async { await consumer.value }

    // MARK: Queries

    public func processHistory(_ name: String, range: HistoryRange) async throws -> ProcessHistory {
        let plan = HistoryPlan.choose(span: range.to - range.from, age: Date().timeIntervalSince1970 - range.from,
                                      sampleInterval: settings.sampleInterval, retention: settings.retention)
        guard let store = shared.store else { return ProcessHistory(process: name, resolutionSeconds: plan.bucket, points: []) }
        let (from, to) = (Int(range.from * 1000), Int(range.to * 1000))
        var best = (plan: plan, points: try await store.processPoints(name, plan: plan, from: from, to: to))
        // Young history: a finer tier may hold more of the range than the planned one.
        var next = plan
        while best.points.count < Int(HistoryPlan.minimumPoints),
              let finer = next.finer(span: range.to - range.from, sampleInterval: settings.sampleInterval) {
            let points = try await store.processPoints(name, plan: finer, from: from, to: to)
            if points.count > best.points.count { best = (finer, points) }
            next = finer
        }
        return ProcessHistory(process: name, resolutionSeconds: best.plan.bucket, points: best.points)
    }

    public func poolHistory(collector: String?, range: HistoryRange) async throws -> PoolHistoryList {
        guard let store = shared.store else { return PoolHistoryList(pools: []) }
        let bucket = max(1, ((range.to - range.from) / HistoryPlan.maximumPoints).rounded(.up))
        return PoolHistoryList(pools: try await store.poolPoints(
            collector: collector, bucket: bucket, from: Int(range.from * 1000), to: Int(range.to * 1000)))
    }

    public func events(range: HistoryRange, processes: [String]?, kind: WardenEvent.Kind?) async throws -> EventList {
        guard let store = shared.store else { return EventList(events: []) }
        return EventList(events: try await store.events(
            from: Int(range.from * 1000), to: Int(range.to * 1000), processes: processes, kind: kind?.rawValue,
            limit: Self.maximumEvents))
    }

    public func resolvedAlerts(range: HistoryRange) async throws -> [AlertStatus] {
        guard let store = shared.store else { return [] }
        return try await store.resolvedAlerts(from: Int(range.from * 1000), to: Int(range.to * 1000))
    }

    public func health() async -> HistoryHealth {
        let counts = shared.counts
        return HistoryHealth(
            path: settings.path, open: shared.store != nil, bytes: counts.bytes, batchesWritten: counts.batches, rowsWritten: counts.rows,
            failedBatches: counts.failed, paused: counts.pausedUntil > Date().timeIntervalSince1970,
            movedAside: counts.movedAside, lastError: counts.lastError)
    }

    /// Whether the history has ever recorded `name` (a process removed from the config keeps its history).
    public func knows(process name: String) async -> Bool {
        (try? await shared.store?.knows(process: name)) ?? false
    }
}

/// The counters behind `health()`.
struct HistoryCounts: Sendable {
    var batches = 0
    var rows = 0
    var failed = 0
    var movedAside = 0
    var pausedUntil: Double = 0
    var lastError: String?
    var bytes = 0
}

/// What the writer and the queries share: the open store (replaced after a corrupt file is moved aside)
/// and the counters.
final class HistoryShared: Sendable {
    private let current = Mutex<HistoryStore?>(nil)
    private let counters = Mutex(HistoryCounts())

    var store: HistoryStore? { current.withLock { $0 } }
    func set(_ store: HistoryStore?) { current.withLock { $0 = store } }
    var counts: HistoryCounts { counters.withLock { $0 } }
    func update(_ body: (inout HistoryCounts) -> Void) { counters.withLock { body(&$0) } }
}

/// The consuming side of `HistorySubscriber`: batches, rollups, faults, pruning. Runs in one task.
private struct HistoryWriter {
    let settings: HistorySubscriber.Settings
    let shared: HistoryShared
    let logger: Logger
    var rollups = RollupBook()
    var batch = HistoryBatch()
    var lastMaintenance = 0.0
    /// Closed rollup buckets not yet written, per tier, and when each tier was last written.
    var pendingRollups: [HistoryTier: [ClosedRollup]] = [:]
    var lastRollupWrite: [HistoryTier: Double] = [:]

    /// How often each rollup tier's closed buckets are written. The rows of one process sit together in the
    /// B-tree, so a write dirties a page per process: writing a tier's buckets a few at a time per process
    /// costs a fraction of writing each as it closes. A query may miss this much at the end of a range
    /// (the finer tiers have it); a graceful stop writes everything.
    static let rollupWriteInterval: [HistoryTier: Double] = [.tenSeconds: 60, .minute: 120, .tenMinutes: 600]
    let encoder: JSONEncoder

    /// Seconds between prunes (and size checks).
    static let maintenanceInterval = 60.0
    /// How long writes pause after an I/O error (disk full, EIO): 5 s, doubled for each failure in a row,
    /// at most a minute; a write that succeeds starts it over.
    static let pause = Backoff(initial: .seconds(5), maximum: .seconds(60))
    var failuresInARow = 0

    init(settings: HistorySubscriber.Settings, shared: HistoryShared, logger: Logger) {
        self.settings = settings; self.shared = shared; self.logger = logger
        encoder = EventJSON.encoder()
    }

    /// Opens the database; a file that is not a usable database is moved aside and a fresh one created.
    mutating func open() async {
        do {
            shared.set(try await HistoryStore.open(path: settings.path, logger: logger))
            return
        } catch {
            guard FileManager.default.fileExists(atPath: settings.path) else {
                fail("cannot create history \(settings.path): \(error)")
                return
            }
            moveAside(because: error)
        }
        do {
            shared.set(try await HistoryStore.open(path: settings.path, logger: logger))
        } catch {
            fail("cannot create history \(settings.path) after moving the old file aside: \(error)")
        }
    }

    /// Renames the file (and its -wal and -shm) to `PATH.corrupt-TIME`.
    private mutating func moveAside(because error: any Error) {
        let stamp = RFC3339Text.string(secondsSinceEpoch: Date().timeIntervalSince1970).replacingOccurrences(of: ":", with: "")
        let target = settings.path + ".corrupt-" + stamp
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: settings.path + suffix) {
            try? FileManager.default.moveItem(atPath: settings.path + suffix, toPath: target + suffix)
        }
        shared.update { $0.movedAside += 1; $0.lastError = "\(error)" }
        logger.error("history \(settings.path) is not a usable database (\(error)); moved it to \(target) and started a new one")
    }

    private func fail(_ message: String) {
        shared.update { $0.lastError = message }
        logger.error("\(message)")
    }

    mutating func consume(_ event: SupervisionEvent) async {
        switch event {
        case .sampled(let round):
            let time = Int((round.secondsSinceEpoch * 1000).rounded())
            var raw = HistoryBatch.RawRound(time: time, names: [], programs: [], entries: [])
            raw.names.reserveCapacity(round.processes.count)
            raw.programs.reserveCapacity(round.processes.count)
            raw.entries.reserveCapacity(round.processes.count)
            for m in round.processes {
                let o = m.observation
                raw.names.append(m.process)
                raw.programs.append(m.program)
                raw.entries.append(RawEntry(
                    process: 0, rss: o.mainRSSBytes, treeRSS: o.treeRSSBytes, fds: o.mainFDs ?? o.fds,
                    threads: o.mainThreads, severity: m.severity.rank, cpu: o.cpuPercent, growth: m.rssGrowthMBPerMinute))
            }
            if !raw.entries.isEmpty { batch.rawRounds.append(raw) }
            for closed in rollups.add(round) { pendingRollups[closed.tier, default: []].append(closed) }
            for tier in RollupBook.tiers where round.secondsSinceEpoch - (lastRollupWrite[tier] ?? 0)
                >= Self.rollupWriteInterval[tier, default: 60] {
                add(pendingRollups.removeValue(forKey: tier) ?? [])
                lastRollupWrite[tier] = round.secondsSinceEpoch
            }
            await flush(now: round.secondsSinceEpoch)
        case .collected(let round):
            let time = Int((round.secondsSinceEpoch * 1000).rounded())
            for pool in round.pools {
                let byWorker = (try? encoder.encode(pool.byWorker)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                batch.pools.append(.init(
                    collector: round.collector, pool: pool.pool, time: time, inUse: pool.inUse, idle: pool.idle,
                    max: pool.max, waiting: pool.waiting, unattributed: pool.unattributed, byWorkerJSON: byWorker))
            }
        case .recorded(let record):
            let time = Int(((RFC3339Text.seconds(record.time) ?? Date().timeIntervalSince1970) * 1000).rounded())
            let json = (try? encoder.encode(record)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            var alert: HistoryBatch.Alert?
            if [.poolAlert, .poolAlertResolved, .processAlert, .processAlertResolved].contains(record.event),
               let kind = record.reason {
                let evidence = record.evidence.flatMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }
                alert = .init(opened: !record.event.isAlertResolution, kind: kind, collector: record.collector,
                              pool: record.pool, worker: record.process, connection: record.connection,
                              message: record.message, severity: record.severity,
                              reason: record.alertReason, occurrences: record.occurrences, evidenceJSON: evidence)
            }
            batch.events.append(.init(time: time, kind: record.event.rawValue, process: record.process, json: json, alert: alert))
            // Events between rounds wait for the next round's transaction, unless they pile up.
            if batch.events.count >= 1_000 { await flush(now: Double(time) / 1000) }
        }
    }

    private mutating func add(_ closed: [ClosedRollup]) {
        for c in closed {
            let r = c.rollup
            batch.processNames[c.process] = c.program
            batch.samples.append(.init(
                tier: c.tier, process: c.process, time: Int((c.start * 1000).rounded()), rss: r.rssAverage,
                rssMin: r.rssMin, rssMax: r.rssMax, treeRSS: r.treeRSSAverage, fds: r.fdsMax, threads: r.threadsMax,
                cpu: r.cpuAverage, severity: r.severityMax, growth: r.growthAverage))
        }
    }

    /// Writes the pending batch (one transaction), then prunes once a minute.
    mutating func flush(now: Double) async {
        defer { batch = HistoryBatch() }
        guard !batch.isEmpty else { return }
        if shared.counts.pausedUntil > now {
            shared.update { $0.failed += 1 }
            return
        }
        guard let store = shared.store else {
            shared.update { $0.failed += 1 }
            return
        }
        do {
            let rows = try await store.write(batch)
            shared.update { $0.batches += 1; $0.rows += rows }
            if failuresInARow > 0 {
                logger.notice("history writes resumed after \(failuresInARow) failed")
                failuresInARow = 0
            }
        } catch let error as SQLiteError where [.corrupt, .notADatabase, .corruptIndex, .corruptVirtualTable].contains(error.reason) {
            await store.close()
            shared.set(nil)
            moveAside(because: error)
            await open()
            shared.update { $0.failed += 1 }
        } catch {
            // Disk full, I/O error, a locked file: this batch is lost; writes pause, longer each time in a row.
            failuresInARow += 1
            let pause = Double(Self.pause.delay(afterFailures: failuresInARow).components.seconds)
            shared.update { $0.failed += 1; $0.pausedUntil = now + pause; $0.lastError = "\(error)" }
            logger.error("history write failed (\(error)); pausing history for \(Int(pause)) s")
            return
        }
        if now - lastMaintenance >= Self.maintenanceInterval {
            lastMaintenance = now
            await maintain(store, now: now)
        }
    }

    /// Prunes what the tiers no longer keep, then sheds the oldest data while the file is over `max_bytes`.
    private func maintain(_ store: HistoryStore, now: Double) async {
        do {
            try await store.prune(now: Int(now * 1000), retention: settings.retention)
            var bytes = try await store.usedBytes()
            var rounds = 0
            while bytes > Int(settings.maxBytes), rounds < 5 {
                try await store.shed(fraction: 0.1)
                bytes = try await store.usedBytes()
                rounds += 1
            }
            if rounds > 0 {
                logger.warning("history is over max_bytes (\(settings.maxBytes) bytes): deleted its oldest data, now \(bytes) bytes")
            }
            shared.update { $0.bytes = bytes }
        } catch {
            shared.update { $0.lastError = "\(error)" }
            logger.error("history pruning failed: \(error)")
        }
    }

    /// Closes the open rollup buckets, writes what is pending and closes the file.
    mutating func finish() async {
        for tier in RollupBook.tiers { add(pendingRollups.removeValue(forKey: tier) ?? []) }
        add(rollups.flush())
        await flush(now: Date().timeIntervalSince1970)
        await shared.store?.close()
        shared.set(nil)
    }
}
