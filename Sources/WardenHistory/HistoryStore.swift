import Foundation
import Glibc
import Logging
import SQLiteNIO
import Synchronization
import WardenAPI
import WardenCore
import WardenPluginProtocol

/// The history's SQLite file (`STATE_DIR/history.sqlite`): its schema, batched writes, pruning and
/// queries. One writing connection and one reading connection (WAL lets them run side by side); every call
/// runs on sqlite-nio's thread pool, never on the cooperative pool.
///
/// Times are stored as integer milliseconds since the Unix epoch; processes by a small integer id.
final class HistoryStore: Sendable {
    let path: String
    private let writer: SQLiteConnection
    private let reader: SQLiteConnection
    /// Process name → id, for the names written so far (only the writer adds to it).
    private let knownIDs = Mutex<[String: Int]>([:])
    /// The instance names of the last raw round written and their ids: a round with the same names (the
    /// usual case) reuses the ids without hashing a name.
    private let rawLayout = Mutex<(names: [String], ids: [Int])>(([], []))

    /// The schema version this code writes (`PRAGMA user_version`).
    static let schemaVersion = 4

    private init(path: String, writer: SQLiteConnection, reader: SQLiteConnection) {
        self.path = path
        self.writer = writer
        self.reader = reader
    }

    /// Opens (creating when missing) the database at `path` with WAL and the schema.
    /// - Throws: `SQLiteError` when the file cannot be opened or is not a database of ours.
    static func open(path: String, logger: Logger) async throws -> HistoryStore {
        // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the database file's mode.
        // A symbolic link planted at the path or at one of SQLite's side files is refused rather than SQLite
        // writing through it (SQLite follows links); the database itself is created with O_NOFOLLOW.
        for side in ["-wal", "-shm", "-journal"] {
            var info = stat()
            if lstat(path + side, &info) == 0, info.st_mode & S_IFMT == S_IFLNK { throw HistoryStoreError.symbolicLink(path + side) }
        }
        let fd = Glibc.open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd >= 0 { Glibc.close(fd) } else if errno == ELOOP { throw HistoryStoreError.symbolicLink(path) }
        let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            // auto_vacuum must be chosen before the first table exists; incremental lets pruning give pages back.
            _ = try await writer.query("PRAGMA auto_vacuum = INCREMENTAL")
            _ = try await writer.query("PRAGMA journal_mode = WAL")
            _ = try await writer.query("PRAGMA synchronous = NORMAL")
            // A multi-row INSERT OR REPLACE keeps a statement journal; in memory it costs no file writes.
            _ = try await writer.query("PRAGMA temp_store = MEMORY")
            let version = try await writer.query("PRAGMA user_version").first?.column("user_version")?.integer ?? 0
            if version > schemaVersion {
                throw HistoryStoreError.newerSchema(version)
            }
            for statement in schema { _ = try await writer.query(statement) }
            if version == 1 { _ = try await writer.query("ALTER TABLE alerts ADD COLUMN severity TEXT") }
            // Version 3: process alerts (restart loops, leaks) with their reason, occurrences and evidence.
            if (1...2).contains(version) {
                for column in ["reason TEXT", "occurrences INTEGER", "evidence TEXT"] {
                    _ = try await writer.query("ALTER TABLE alerts ADD COLUMN \(column)")
                }
            }
            // Version 4: a long-running alert's connection id, so two connections' alerts stay apart.
            if (1...3).contains(version) { _ = try await writer.query("ALTER TABLE alerts ADD COLUMN connection TEXT") }
            _ = try await writer.query("PRAGMA user_version = \(schemaVersion)")
            // Alerts still open belong to a Warden that ended without resolving them (killed, or stopped
            // while they held): they end with its last record. This Warden raises them again if they hold.
            // A process alert's row holds the occurrences it opened with (the count is written at the
            // resolve); the occurrences since are the recorded events that counted them: restarts for the
            // loop's reason, leak verdicts for the leak's.
            _ = try await writer.query(Self.reconstructOccurrences)
            _ = try await writer.query(
                "UPDATE alerts SET resolved_at = max(started_at, coalesce((SELECT max(time) FROM events), started_at)) WHERE resolved_at IS NULL")
            let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            _ = try await reader.query("PRAGMA query_only = 1")
            return HistoryStore(path: path, writer: writer, reader: reader)
        } catch {
            try? await writer.close()
            throw error
        }
    }

    func close() async {
        try? await reader.close()
        try? await writer.close()
    }

    // MARK: Writes

    /// Writes `batch` in one transaction; rolls it back on any error.
    /// - Returns: the rows written.
    func write(_ batch: HistoryBatch) async throws -> Int {
        let connection = writer
        _ = try await connection.query("BEGIN IMMEDIATE")
        do {
            // Process ids: known ones from the cache; new names are inserted and looked up once.
            var ids = knownIDs.withLock { $0 }
            var layout = rawLayout.withLock { $0 }
            // New names in the order the rounds list them: ids then ascend in round order, and a round's
            // entries need no sorting by id.
            var missing: [(name: String, program: String)] = []
            var seen = Set<String>()
            var previous = layout.names
            for round in batch.rawRounds where round.names != previous {
                for (name, program) in zip(round.names, round.programs) where ids[name] == nil && seen.insert(name).inserted {
                    missing.append((name, program))
                }
                previous = round.names
            }
            for (name, program) in batch.processNames.sorted(by: { $0.key < $1.key })
            where ids[name] == nil && seen.insert(name).inserted {
                missing.append((name, program))
            }
            if !missing.isEmpty {
                // One statement for all new names (at start-up, every instance at once).
                let values = Array(repeating: "(?, ?)", count: missing.count).joined(separator: ",")
                _ = try await connection.query(
                    "INSERT INTO processes (name, program) VALUES \(values) ON CONFLICT (name) DO UPDATE SET program = excluded.program",
                    missing.flatMap { [SQLiteData.text($0.name), .text($0.program)] })
                let names = missing.map(\.name)
                let marks = Array(repeating: "?", count: names.count).joined(separator: ",")
                for row in try await connection.query("SELECT id, name FROM processes WHERE name IN (\(marks))", names.map { .text($0) }) {
                    if let id = row.column("id")?.integer, let name = row.column("name")?.string { ids[name] = Int(id) }
                }
            }
            var rows = 0
            for round in batch.rawRounds {
                if round.names != layout.names { layout = (round.names, round.names.map { ids[$0] ?? -1 }) }
                var entries: [RawEntry] = []
                entries.reserveCapacity(round.entries.count)
                // A raw entry holds the id in 16 bits: 65 535 instance names over the file's life.
                for (id, entry) in zip(layout.ids, round.entries) where id >= 0 && id <= Int(UInt16.max) {
                    var entry = entry
                    entry.process = id
                    entries.append(entry)
                }
                _ = try await connection.query(
                    "INSERT OR REPLACE INTO raw_rounds VALUES (?, ?)",
                    [.integer(round.time), .blob(ByteBuffer(bytes: RawEntry.encode(entries)))])
                rows += entries.count
            }
            // Rollups: one multi-row INSERT per 400 rows (12 binds each).
            for chunk in stride(from: 0, to: batch.samples.count, by: 400) {
                let slice = batch.samples[chunk..<min(chunk + 400, batch.samples.count)]
                var binds: [SQLiteData] = []
                binds.reserveCapacity(slice.count * 12)
                for row in slice {
                    guard let id = ids[row.process] else { continue }
                    binds += [.integer(row.tier.rawValue), .integer(id), .integer(row.time / 1000),
                              .integer(Int(row.rss / 1024)),
                              row.rssMin.map { .integer(Int($0 / 1024)) } ?? .null, row.rssMax.map { .integer(Int($0 / 1024)) } ?? .null,
                              .integer(Int(row.treeRSS / 1024)), .integer(row.fds), .integer(row.threads),
                              row.cpu.map { .integer(Int(($0 * 10).rounded())) } ?? .null, .integer(row.severity),
                              row.growth.map { .integer(Int(($0 * 100).rounded())) } ?? .null]
                }
                let count = binds.count / 12
                guard count > 0 else { continue }
                let values = Array(repeating: "(?,?,?,?,?,?,?,?,?,?,?,?)", count: count).joined(separator: ",")
                _ = try await connection.query("INSERT OR REPLACE INTO samples VALUES \(values)", binds)
                rows += count
            }
            for pool in batch.pools {
                _ = try await connection.query(
                    "INSERT OR REPLACE INTO pool_samples VALUES (?,?,?,?,?,?,?,?,?)",
                    [.text(pool.collector), .text(pool.pool), .integer(pool.time), .integer(pool.inUse), .integer(pool.idle),
                     .integer(pool.max), pool.waiting.map { .integer($0) } ?? .null, .integer(pool.unattributed),
                     .text(pool.byWorkerJSON)])
                rows += 1
            }
            // Events: one multi-row INSERT per 200 (at start-up every instance's events come at once), in order.
            for chunk in stride(from: 0, to: batch.events.count, by: 200) {
                let slice = batch.events[chunk..<min(chunk + 200, batch.events.count)]
                let values = Array(repeating: "(?,?,?,?)", count: slice.count).joined(separator: ",")
                _ = try await connection.query("INSERT INTO events VALUES \(values)", slice.flatMap { event -> [SQLiteData] in
                    [.integer(event.time), .text(event.kind), event.process.map { .text($0) } ?? .null, .text(event.json)]
                })
                rows += slice.count
            }
            for event in batch.events {
                if let alert = event.alert {
                    let text = { (value: String?) -> SQLiteData in value.map { .text($0) } ?? .null }
                    let identity = [.text(alert.kind), text(alert.collector), text(alert.pool), text(alert.worker), text(alert.reason),
                                    text(alert.connection)]
                    let figures = [text(alert.message), alert.occurrences.map { .integer($0) } ?? .null, text(alert.evidenceJSON)]
                    if alert.opened {
                        _ = try await connection.query(
                            """
                            INSERT INTO alerts (kind, collector, pool, worker, reason, connection, message, occurrences, evidence,
                                started_at, severity) VALUES (?,?,?,?,?,?,?,?,?,?,?)
                            """, identity + figures + [.integer(event.time), text(alert.severity)])
                    } else {
                        _ = try await connection.query(
                            """
                            UPDATE alerts SET message = coalesce(?, message), occurrences = coalesce(?, occurrences),
                                evidence = coalesce(?, evidence), resolved_at = ? WHERE resolved_at IS NULL AND kind IS ?
                                AND collector IS ? AND pool IS ? AND worker IS ? AND reason IS ? AND connection IS ?
                            """, figures + [.integer(event.time)] + identity)
                    }
                }
            }
            _ = try await connection.query("COMMIT")
            if !missing.isEmpty { knownIDs.withLock { $0 = ids } }
            if !batch.rawRounds.isEmpty { rawLayout.withLock { $0 = layout } }
            return rows
        } catch {
            _ = try? await connection.query("ROLLBACK")
            throw error
        }
    }

    /// Deletes what each tier no longer keeps (relative to `now`, ms), events, pool samples and resolved
    /// alerts older than `retention` seconds. Freed pages are reused by the next writes (the file stops
    /// growing); `shed` gives them back to the file system.
    func prune(now: Int, retention: Double) async throws {
        let rawCutoff = now - Int(HistoryTier.raw.retention(total: retention) * 1000)
        _ = try await writer.query("DELETE FROM raw_rounds WHERE time < ?", [.integer(rawCutoff)])
        for tier in HistoryTier.allCases where tier != .raw {
            let cutoff = (now - Int(tier.retention(total: retention) * 1000)) / 1000  // seconds, as rollups are stored
            // Through the primary key (tier, process, time): one range per process, never a scan of the tier.
            _ = try await writer.query(
                "DELETE FROM samples WHERE tier = ?1 AND process IN (SELECT id FROM processes) AND time < ?2",
                [.integer(tier.rawValue), .integer(cutoff)])
        }
        let cutoff = now - Int(retention * 1000)
        _ = try await writer.query("DELETE FROM pool_samples WHERE time < ?", [.integer(cutoff)])
        _ = try await writer.query("DELETE FROM events WHERE time < ?", [.integer(cutoff)])
        _ = try await writer.query("DELETE FROM alerts WHERE resolved_at IS NOT NULL AND resolved_at < ?", [.integer(cutoff)])
    }

    /// Deletes the oldest `fraction` of every table's time span (the `max_bytes` bound).
    func shed(fraction: Double) async throws {
        for (table, column) in [("raw_rounds", "time"), ("samples", "time"), ("pool_samples", "time"), ("events", "time")] {
            let row = try await writer.query("SELECT min(\(column)) AS low, max(\(column)) AS high FROM \(table)").first
            guard let low = row?.column("low")?.integer, let high = row?.column("high")?.integer, high > low else { continue }
            let cutoff = low + Int(Double(high - low) * fraction)
            _ = try await writer.query("DELETE FROM \(table) WHERE \(column) < ?", [.integer(cutoff)])
        }
        _ = try await writer.query("PRAGMA incremental_vacuum")
    }

    /// Bytes in use: (pages − free pages) × page size.
    func usedBytes() async throws -> Int {
        let pages = try await reader.query("PRAGMA page_count").first?.column("page_count")?.integer ?? 0
        let free = try await reader.query("PRAGMA freelist_count").first?.column("freelist_count")?.integer ?? 0
        let size = try await reader.query("PRAGMA page_size").first?.column("page_size")?.integer ?? 4096
        return (pages - free) * size
    }

    // MARK: Queries

    /// Whether the history has rows for `name`.
    func knows(process name: String) async throws -> Bool {
        !(try await reader.query("SELECT 1 FROM processes WHERE name = ?", [.text(name)]).isEmpty)
    }

    func processPoints(_ name: String, plan: HistoryPlan, from: Int, to: Int) async throws -> [HistoryPoint] {
        guard let id = try await reader.query("SELECT id FROM processes WHERE name = ?", [.text(name)]).first?.column("id")?.integer
        else { return [] }
        if plan.tier == .raw {
            return try await rawPoints(process: id, bucket: Int(plan.bucket * 1000), from: from, to: to)
        }
        let bucket = max(1, Int(plan.bucket))  // seconds
        let rows: [SQLiteRow]
        do {
            rows = try await reader.query(
                """
                SELECT (time / ?1) * ?1 AS time, CAST(avg(rss) * 1024 AS INTEGER) AS rss,
                    min(coalesce(rss_min, rss)) * 1024 AS rss_min, max(coalesce(rss_max, rss)) * 1024 AS rss_max,
                    CAST(avg(tree_rss) * 1024 AS INTEGER) AS tree_rss, max(fds) AS fds, max(threads) AS threads,
                    avg(cpu) / 10.0 AS cpu, max(severity) AS severity, avg(growth) / 100.0 AS growth
                FROM samples WHERE tier = ?2 AND process = ?3 AND time BETWEEN ?4 AND ?5
                GROUP BY time / ?1 ORDER BY 1
                """, [.integer(bucket), .integer(plan.tier.rawValue), .integer(id), .integer(from / 1000),
                      .integer((to + 999) / 1000)])
        }
        return rows.map { row in
            HistoryPoint(
                time: RFC3339Text.string(secondsSinceEpoch: Double(row.column("time")?.integer ?? 0)),
                rssBytes: UInt64(max(0, row.column("rss")?.integer ?? 0)),
                rssBytesMin: row.column("rss_min")?.integer.map { UInt64(max(0, $0)) },
                rssBytesMax: row.column("rss_max")?.integer.map { UInt64(max(0, $0)) },
                treeRSSBytes: UInt64(max(0, row.column("tree_rss")?.integer ?? 0)),
                fds: row.column("fds")?.integer ?? 0, threads: row.column("threads")?.integer ?? 0,
                cpuPercent: row.column("cpu")?.double, severity: Self.severityName(row.column("severity")?.integer),
                rssGrowthMBPerMin: row.column("growth")?.double)
        }
    }

    static func severityName(_ rank: Int?) -> String? {
        rank.flatMap { SeverityGrade.allGrades.indices.contains($0) ? SeverityGrade.allGrades[$0].description : nil }
    }

    /// Raw samples of one process from the round rows, each as it was or (`bucket` ms > 0) grouped.
    private func rawPoints(process id: Int, bucket: Int, from: Int, to: Int) async throws -> [HistoryPoint] {
        let rows = try await reader.query(
            "SELECT time, samples FROM raw_rounds WHERE time BETWEEN ? AND ? ORDER BY time", [.integer(from), .integer(to)])
        var samples: [(time: Int, entry: RawEntry)] = []
        samples.reserveCapacity(rows.count)
        for row in rows {
            guard let time = row.column("time")?.integer, case .blob(let blob)? = row.column("samples"),
                  let entry = RawEntry.find(id, in: blob.readableBytesView) else { continue }
            samples.append((time, entry))
        }
        func point(_ time: Int, _ group: ArraySlice<(time: Int, entry: RawEntry)>) -> HistoryPoint {
            let entries = group.map(\.entry)
            let cpus = entries.compactMap(\.cpu), growths = entries.compactMap(\.growth)
            let grouped = entries.count > 1 || bucket > 0
            return HistoryPoint(
                time: RFC3339Text.string(secondsSinceEpoch: Double(time) / 1000),
                rssBytes: entries.reduce(0) { $0 + $1.rss } / UInt64(entries.count),
                rssBytesMin: grouped ? entries.map(\.rss).min() : nil, rssBytesMax: grouped ? entries.map(\.rss).max() : nil,
                treeRSSBytes: entries.reduce(0) { $0 + $1.treeRSS } / UInt64(entries.count),
                fds: entries.map(\.fds).max() ?? 0, threads: entries.map(\.threads).max() ?? 0,
                cpuPercent: cpus.isEmpty ? nil : cpus.reduce(0, +) / Double(cpus.count),
                severity: Self.severityName(entries.map(\.severity).max()),
                rssGrowthMBPerMin: growths.isEmpty ? nil : growths.reduce(0, +) / Double(growths.count))
        }
        guard bucket > 0 else { return samples.indices.map { point(samples[$0].time, samples[$0...$0]) } }
        var points: [HistoryPoint] = []
        var start = 0
        while start < samples.count {
            let key = samples[start].time / bucket
            var end = start + 1
            while end < samples.count, samples[end].time / bucket == key { end += 1 }
            points.append(point(key * bucket, samples[start..<end]))
            start = end
        }
        return points
    }

    func poolPoints(collector: String?, bucket seconds: Double, from: Int, to: Int) async throws -> [PoolHistory] {
        let bucket = max(1, Int(seconds * 1000))
        var binds: [SQLiteData] = [.integer(bucket), .integer(from), .integer(to)]
        var filter = ""
        if let collector {
            filter = "AND collector = ?4"
            binds.append(.text(collector))
        }
        let rows = try await reader.query(
            """
            SELECT collector, pool, (time / ?1) * ?1 AS time, avg(in_use) AS in_use, avg(idle) AS idle, CAST(avg(max) AS INTEGER) AS max,
                avg(unattributed) AS unattributed, max(time) AS last, by_worker
            FROM pool_samples WHERE time BETWEEN ?2 AND ?3 \(filter)
            GROUP BY collector, pool, time / ?1 ORDER BY collector, pool, 3
            -- by_worker is the latest in each bucket: SQLite takes a bare column from the row max(time) picked
            """, binds)
        var pools: [String: PoolHistory] = [:]
        var order: [String] = []
        for row in rows {
            let collector = row.column("collector")?.string ?? "", pool = row.column("pool")?.string ?? ""
            let key = collector + "\u{0}" + pool
            if pools[key] == nil {
                pools[key] = PoolHistory(collector: collector, pool: pool, resolutionSeconds: Double(bucket) / 1000, points: [])
                order.append(key)
            }
            let inUse = row.column("in_use")?.double ?? 0, idle = row.column("idle")?.double ?? 0
            let max = row.column("max")?.integer ?? 0
            let byWorker = (try? JSONDecoder().decode([String: Int].self, from: Data((row.column("by_worker")?.string ?? "{}").utf8))) ?? [:]
            pools[key]!.points.append(PoolHistoryPoint(
                time: RFC3339Text.string(secondsSinceEpoch: Double(row.column("time")?.integer ?? 0) / 1000),
                inUse: inUse, idle: idle, max: max, usage: max > 0 ? (inUse + idle) / Double(max) : nil,
                unattributed: row.column("unattributed")?.double ?? 0, byWorker: byWorker))
        }
        return order.compactMap { pools[$0] }
    }

    /// Alerts resolved in `from...to` (ms), oldest `started_at` first.
    func resolvedAlerts(from: Int, to: Int) async throws -> [AlertStatus] {
        try await reader.query(
            """
            SELECT kind, severity, collector, pool, worker, reason, connection, occurrences, evidence, message, started_at,
                resolved_at
            FROM alerts
            WHERE resolved_at BETWEEN ? AND ? ORDER BY started_at, id
            """, [.integer(from), .integer(to)]
        ).map { row in
            func time(_ column: String) -> String? {
                row.column(column)?.integer.map { RFC3339Text.string(secondsSinceEpoch: Double($0) / 1000) }
            }
            // A process alert keeps its instance in the `worker` column.
            let kind = row.column("kind")?.string ?? ""
            let isProcess = AlertKind(rawValue: kind)?.isProcessAlert ?? false
            let evidence = row.column("evidence")?.string.flatMap { try? JSONDecoder().decode(WardenEvent.Evidence.self, from: Data($0.utf8)) }
            return AlertStatus(
                kind: kind, severity: row.column("severity")?.string ?? "warning", collector: row.column("collector")?.string,
                pool: row.column("pool")?.string, worker: isProcess ? nil : row.column("worker")?.string,
                process: isProcess ? row.column("worker")?.string : nil, connection: row.column("connection")?.string,
                reason: row.column("reason")?.string,
                occurrences: row.column("occurrences")?.integer ?? 1, evidence: evidence,
                startedAt: time("started_at") ?? "", resolvedAt: time("resolved_at"), message: row.column("message")?.string ?? "")
        }
    }

    func events(from: Int, to: Int, processes: [String]?, kind: String?, limit: Int) async throws -> [WardenEvent] {
        var sql = "SELECT record FROM events WHERE time BETWEEN ? AND ?"
        var binds: [SQLiteData] = [.integer(from), .integer(to)]
        if let processes {
            sql += " AND process IN (\(Array(repeating: "?", count: max(1, processes.count)).joined(separator: ",")))"
            binds += processes.isEmpty ? [.null] : processes.map { .text($0) }
        }
        if let kind { sql += " AND kind = ?"; binds.append(.text(kind)) }
        sql += " ORDER BY time LIMIT ?"
        binds.append(.integer(limit))
        let decoder = JSONDecoder()
        return try await reader.query(sql, binds).compactMap { row in
            try? decoder.decode(WardenEvent.self, from: Data((row.column("record")?.string ?? "").utf8))
        }
    }
}

/// Why the history file cannot be used as it is.
enum HistoryStoreError: Error, CustomStringConvertible {
    case newerSchema(Int)
    case symbolicLink(String)
    var description: String {
        switch self {
        case .symbolicLink(let path):
            return "\(path) is a symbolic link: refusing to open it"
        case .newerSchema(let version):
            return "history schema version \(version) is newer than this Warden's (\(HistoryStore.schemaVersion))"
        }
    }
}
