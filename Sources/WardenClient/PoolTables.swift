public import WardenAPI

/// Plain-text tables for `warden pools` and `warden alerts`: left-aligned columns separated by two spaces.
public enum PoolTables {
    /// `--wide`: one row per pool: COLLECTOR, POOL, USED/MAX, USAGE (percent), IDLE, WAITING, BY WORKER (every
    /// worker the collector reported, those holding none too), UNATTRIBUTED, LONG-RUNNING (count), BACKEND
    /// RSS/PSS (per worker with backends, MiB; `-` when the server's processes are not readable), COLLECTED;
    /// lines as long as they need.
    public static func render(_ pools: [PoolStatus]) -> String {
        let header = ["COLLECTOR", "POOL", "USED/MAX", "USAGE", "IDLE", "WAITING", "BY WORKER", "UNATTRIBUTED", "LONG",
                      "BACKEND RSS/PSS", "COLLECTED"]
        let rows = pools.map(poolRow)
        return table([header] + rows)
    }

    /// The default view, for a terminal `width` columns wide (`nil`: no limit). One row per pool without the
    /// worker list and the collection time (COLLECTOR, POOL, USED/MAX, USAGE, IDLE, WAITING, UNATTRIBUTED,
    /// LONG), each followed by `  by worker: api:0=12, api:1=3` listing only the workers holding connections,
    /// most first, each with its backends' summed Rss/Pss when the server is local (`api:0=12 (270.1/58.9MiB)`),
    /// wrapped to `width` over at most `maxWorkerLines` lines (then `… and 7 more (--wide)`).
    /// A line still wider than `width` is cut, ending in `…`.
    public static func render(_ pools: [PoolStatus], width: Int?, maxWorkerLines: Int = 4) -> String {
        let header = ["COLLECTOR", "POOL", "USED/MAX", "USAGE", "IDLE", "WAITING", "UNATTRIBUTED", "LONG"]
        let rows = pools.map { pool in
            let row = poolRow(pool)
            return Array(row[0..<6]) + [row[7], row[8]]
        }
        let lines = table([header] + rows).components(separatedBy: "\n")
        var out = [lines[0]]
        for (pool, line) in zip(pools, lines.dropFirst()) {
            out.append(line)
            let holders = pool.byWorker.filter { $0.value > 0 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            out += wrapped(holders.map { "\($0.key)=\($0.value)" + backendMemory(pool, worker: $0.key) }, lead: "  by worker: ", width: width,
                           maxLines: maxWorkerLines, empty: "none")
        }
        guard let width else { return out.joined(separator: "\n") }
        return out.map { $0.count > width ? String($0.prefix(max(width - 1, 0))) + "…" : $0 }.joined(separator: "\n")
    }

    /// `items` joined by `, ` after `lead`, continuation lines indented under the first item, at most
    /// `maxLines` lines: the last ends in `… and N more (--wide)` when items are left over.
    static func wrapped(_ items: [String], lead: String, width: Int?, maxLines: Int, empty: String) -> [String] {
        guard !items.isEmpty else { return [lead + empty] }
        let indent = String(repeating: " ", count: lead.count)
        let limit = width.map { max($0, lead.count + 20) } ?? Int.max
        var lines: [String] = []
        var current = lead
        for (index, item) in items.enumerated() {
            let piece = current == lead || current == indent ? item : ", " + item
            if current.count + piece.count <= limit || current == lead || current == indent {
                current += piece
                continue
            }
            if lines.count + 1 == maxLines {
                let rest = items.count - index
                let more = " … and \(rest) more (--wide)"
                // Make room for the note on the last line, dropping items from its end.
                var kept = current
                var dropped = 0
                // Worker names have no commas (ProgramNames), so the last comma ends the last item but one.
                while kept.count + more.count > limit, let comma = kept.lastIndex(of: ",") {
                    kept = String(kept[..<comma])
                    dropped += 1
                }
                lines.append(kept + (dropped > 0 ? " … and \(rest + dropped) more (--wide)" : more))
                return lines
            }
            lines.append(current + ",")
            current = indent + item
        }
        lines.append(current)
        return lines
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
        let cells = memory.keys.sorted().compactMap { name -> String? in
            guard let worker = memory[name], worker.backends > 0 else { return nil }
            return "\(name)=\(mebibytes(worker.rssBytes))/\(mebibytes(worker.pssBytes))MiB"
        }
        return cells.isEmpty ? "-" : cells.joined(separator: ",")
    }

    /// ` (270.1/58.9MiB)`: the summed Rss/Pss of `worker`'s backends, or nothing when unknown or none.
    static func backendMemory(_ pool: PoolStatus, worker: String) -> String {
        guard let memory = pool.backendMemory?[worker], memory.backends > 0 else { return "" }
        return " (\(mebibytes(memory.rssBytes))/\(mebibytes(memory.pssBytes))MiB)"
    }

    private static func mebibytes(_ bytes: UInt64) -> String { String((Double(bytes) / 1_048_576 * 10).rounded() / 10) }

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
