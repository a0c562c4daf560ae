public import WardenAPI

/// Plain-text tables for `warden pools` and `warden alerts`: left-aligned columns separated by two spaces.
public enum PoolTables {
    /// One row per pool: COLLECTOR, POOL, USED/MAX, USAGE (percent), IDLE, WAITING, BY WORKER,
    /// UNATTRIBUTED, LONG-RUNNING (count), BACKEND RSS/PSS (per worker with backends, MiB; `-` when the
    /// server's processes are not readable), COLLECTED.
    public static func render(_ pools: [PoolStatus]) -> String {
        let header = ["COLLECTOR", "POOL", "USED/MAX", "USAGE", "IDLE", "WAITING", "BY WORKER", "UNATTRIBUTED", "LONG",
                      "BACKEND RSS/PSS", "COLLECTED"]
        let rows = pools.map(poolRow)
        return table([header] + rows)
    }

    /// One row per alert, pool and process alerts alike: STATE (open/resolved), SEVERITY, KIND (with the
    /// process alert's reason: `restart-loop exit`), POOL (the collector for a collector-wide alert, `-` for a
    /// process alert), PROCESS (the worker or the process concerned), COUNT (occurrences), STARTED, MESSAGE.
    public static func render(_ alerts: [AlertStatus]) -> String {
        let header = ["STATE", "SEVERITY", "KIND", "POOL", "PROCESS", "COUNT", "STARTED", "MESSAGE"]
        let rows = alerts.map { alert -> [String] in
            [
                alert.resolvedAt == nil ? "open" : "resolved", alert.severity,
                alert.kind + (alert.reason.map { " " + $0 } ?? ""), alert.pool ?? alert.collector ?? "-",
                alert.worker ?? alert.process ?? "-", String(alert.occurrences), alert.startedAt, alert.message,
            ]
        }
        return table([header] + rows)
    }

    private static func poolRow(_ pool: PoolStatus) -> [String] {
        let used: String = "\(pool.inUse + pool.idle)/\(pool.max)"
        let usage: String = pool.usage.map { "\(Int(($0 * 100).rounded()))%" } ?? "-"
        let waiting: String = pool.waiting.map { String($0) } ?? "-"
        let owners: [String] = pool.byWorker.keys.sorted().map { "\($0)=\(pool.byWorker[$0] ?? 0)" }
        let byWorker: String = owners.isEmpty ? "-" : owners.joined(separator: ",")
        return [pool.collector, pool.pool, used, usage, String(pool.idle), waiting, byWorker,
                String(pool.unattributed), String(pool.longRunning.count), backendMemory(pool), pool.collectedAt]
    }

    /// `api:0=270.1/58.9MiB,jobs:0=9.0/2.1MiB`: each worker with backends, their summed Rss/Pss in MiB.
    static func backendMemory(_ pool: PoolStatus) -> String {
        guard let memory = pool.backendMemory else { return "-" }
        let mib = { (bytes: UInt64) in String((Double(bytes) / 1_048_576 * 10).rounded() / 10) }
        let cells = memory.keys.sorted().compactMap { name -> String? in
            guard let worker = memory[name], worker.backends > 0 else { return nil }
            return "\(name)=\(mib(worker.rssBytes))/\(mib(worker.pssBytes))MiB"
        }
        return cells.isEmpty ? "-" : cells.joined(separator: ",")
    }

    static func table(_ rows: [[String]]) -> String {
        var widths = Array(repeating: 0, count: rows.first?.count ?? 0)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
