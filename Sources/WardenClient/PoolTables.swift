public import WardenAPI

/// Plain-text tables for `warden pools` and `warden alerts`: left-aligned columns separated by two spaces.
public enum PoolTables {
    /// One row per pool: COLLECTOR, POOL, USED/MAX, USAGE (percent), IDLE, WAITING, BY WORKER,
    /// UNATTRIBUTED, LONG-RUNNING (count), COLLECTED.
    public static func render(_ pools: [PoolStatus]) -> String {
        let header = ["COLLECTOR", "POOL", "USED/MAX", "USAGE", "IDLE", "WAITING", "BY WORKER", "UNATTRIBUTED", "LONG", "COLLECTED"]
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
                String(pool.unattributed), String(pool.longRunning.count), pool.collectedAt]
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
