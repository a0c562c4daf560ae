public import WardenAPI
public import WardenCore

/// Text for `warden history` and `warden events`.
public enum HistoryTables {
    static let blocks = Array("▁▂▃▄▅▆▇█")

    /// A sparkline of `values` at most `width` characters wide (each character the mean of its share of
    /// the values, scaled between their minimum and maximum); empty for no values.
    public static func sparkline(_ values: [Double], width: Int = 48) -> String {
        guard !values.isEmpty, width > 0 else { return "" }
        let columns = min(width, values.count)
        var means: [Double] = []
        for column in 0..<columns {
            let start = column * values.count / columns, end = max(start + 1, (column + 1) * values.count / columns)
            let slice = values[start..<end]
            means.append(slice.reduce(0, +) / Double(slice.count))
        }
        let low = means.min()!, high = means.max()!
        return String(means.map { value in
            high > low ? blocks[min(blocks.count - 1, Int((value - low) / (high - low) * Double(blocks.count - 1) + 0.5))] : blocks[0]
        })
    }

    /// One row per measure — MIN, AVG, MAX, LAST and (with `sparklines`) its trend — over the points of
    /// `history`, under a line naming the process, the range and the resolution.
    public static func render(_ history: ProcessHistory, sparklines: Bool) -> String {
        let points = history.points
        let resolution = history.resolutionSeconds == 0 ? "every sample" : "per \(DurationText.format(.seconds(history.resolutionSeconds)))"
        var title = "\(history.process): \(points.count) points, \(resolution)"
        guard let first = points.first, let last = points.last else { return title + " (no history in this range)" }
        title += ", \(first.time) … \(last.time)"
        func mib(_ bytes: UInt64) -> Double { Double(bytes) / 1_048_576 }
        let measures: [(String, [Double], (Double) -> String)] = [
            ("RSS MiB", points.map { mib($0.rssBytes) }, { oneDecimal($0) }),
            ("TREE RSS MiB", points.map { mib($0.treeRSSBytes) }, { oneDecimal($0) }),
            ("FDS", points.map { Double($0.fds) }, { String(Int($0.rounded())) }),
            ("THREADS", points.map { Double($0.threads) }, { String(Int($0.rounded())) }),
            ("CPU %", points.compactMap(\.cpuPercent), { oneDecimal($0) }),
            ("GROWTH MiB/min", points.compactMap(\.rssGrowthMBPerMin), { oneDecimal($0) }),
        ]
        var rows = [["MEASURE", "MIN", "AVG", "MAX", "LAST"] + (sparklines ? ["TREND"] : [])]
        for (name, values, format) in measures where !values.isEmpty {
            let average = values.reduce(0, +) / Double(values.count)
            rows.append([name, format(values.min()!), format(average), format(values.max()!), format(values.last!)]
                        + (sparklines ? [sparkline(values)] : []))
        }
        let worst = points.compactMap { $0.severity.flatMap(SeverityGrade.init) }.max()
        return title + "\n" + PoolTables.table(rows) + "\nworst severity: \(worst?.description ?? "-")"
    }

    /// One row per event: TIME, PROCESS, EVENT, REASON, DETAIL (the state change, or the message).
    public static func render(_ events: [WardenEvent]) -> String {
        PoolTables.table([["TIME", "PROCESS", "EVENT", "REASON", "DETAIL"]] + events.map(cells))
    }

    /// One event as one line, the table's cells separated by two spaces (`warden events -f`).
    public static func line(_ event: WardenEvent) -> String {
        cells(event).joined(separator: "  ")
    }

    static func cells(_ event: WardenEvent) -> [String] {
        var detail = ""
        if let old = event.oldState, let new = event.newState { detail = "\(old.rawValue) -> \(new.rawValue)" }
        if let old = event.oldSeverity, let new = event.newSeverity { detail = "\(old) -> \(new)" }
        if let status = event.exitStatus { detail += detail.isEmpty ? status : " (\(status))" }
        if let message = event.message { detail += detail.isEmpty ? message : ": \(message)" }
        return [event.time, event.process ?? "-", event.event.rawValue, event.reason ?? "-", detail]
    }

    static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths < 0 && tenths > -10 ? "-" : "")\(tenths / 10).\(abs(tenths % 10))"
    }
}
