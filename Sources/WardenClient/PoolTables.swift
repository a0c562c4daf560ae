public import WardenAPI

/// Plain-text tables for `warden pools` and `warden alerts`: left-aligned columns separated by two spaces.
public enum PoolTables {
    /// `--wide`: one row per pool: COLLECTOR, POOL, USED/MAX, USAGE (percent), IDLE, WAITING, BY WORKER (every
    /// worker the collector reported, those holding none too), UNATTRIBUTED, LONG-RUNNING (count), COLLECTED;
    /// lines as long as they need.
    public static func render(_ pools: [PoolStatus]) -> String {
        let header = ["COLLECTOR", "POOL", "USED/MAX", "USAGE", "IDLE", "WAITING", "BY WORKER", "UNATTRIBUTED", "LONG", "COLLECTED"]
        let rows = pools.map(poolRow)
        return table([header] + rows)
    }

    /// The default view, for a terminal `width` columns wide (`nil`: no limit). One row per pool without the
    /// worker list and the collection time (COLLECTOR, POOL, USED/MAX, USAGE, IDLE, WAITING, UNATTRIBUTED,
    /// LONG), each followed by `  by worker: api:0=12, api:1=3` listing only the workers holding connections,
    /// most first, wrapped to `width` over at most `maxWorkerLines` lines (then `… and 7 more (--wide)`).
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
            out += wrapped(holders.map { "\($0.key)=\($0.value)" }, lead: "  by worker: ", width: width,
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

    /// One row per alert: STATE (open/resolved), SEVERITY, KIND, POOL, WORKER, STARTED, MESSAGE.
    public static func render(_ alerts: [AlertStatus]) -> String {
        let header = ["STATE", "SEVERITY", "KIND", "POOL", "WORKER", "STARTED", "MESSAGE"]
        let rows = alerts.map { alert in
            [
                alert.resolvedAt == nil ? "open" : "resolved", alert.severity, alert.kind,
                alert.pool ?? alert.collector, alert.worker ?? "-", alert.startedAt, alert.message,
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
