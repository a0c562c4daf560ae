public import WardenAPI
import WardenCore

/// One frame of `warden top`: a header, the processes sorted by leak grade and RSS growth, the pools and
/// the open alerts, cut to the terminal's size. Pure: the command fetches, this lays out.
///
/// Severity is always written as text (`critical +612.3MiB/min`); with `color`, the LEAK cell and the
/// alert lines are also coloured (SGR: critical bold red, high red, medium yellow, low cyan), never colour
/// alone. Lines never exceed `width` columns (counted in characters; colour codes take none).
public struct TopScreen: Sendable {
    public var processes: [ProcessStatus]
    public var pools: [PoolStatus]
    public var alerts: [AlertStatus]
    /// Wall-clock time of the frame, `HH:MM:SS` UTC, shown in the header.
    public var clock: String
    /// Why the last fetch failed (Warden gone, timeout); shown under the header, the last frame's data kept.
    public var problem: String?

    public init(
        processes: [ProcessStatus], pools: [PoolStatus], alerts: [AlertStatus], clock: String, problem: String? = nil
    ) {
        self.processes = processes; self.pools = pools; self.alerts = alerts; self.clock = clock
        self.problem = problem
    }

    /// Processes needing attention first: those in a restart loop, then the running ones by leak grade
    /// (critical first; a final grade before a provisional one of the same level, warming-up last), then by
    /// RSS growth (fastest first), then those without a process (STOPPED, EXITED, FATAL, BACKOFF; by name:
    /// their last growth is stale); ties by name, so the order is stable from one frame to the next. A cache
    /// filling fast while still graded `none` stays below a graded leaker.
    public static func sorted(_ processes: [ProcessStatus]) -> [ProcessStatus] {
        func group(_ process: ProcessStatus) -> Int {
            if process.restartLoop != nil { return 0 }
            return process.pid == nil ? 2 : 1
        }
        return processes.sorted { a, b in
            if group(a) != group(b) { return group(a) < group(b) }
            if group(a) == 2 { return a.name < b.name }
            let (sa, sb) = (rank(a.leak.severity), rank(b.leak.severity))
            if sa != sb { return sa > sb }
            if a.leak.provisional != b.leak.provisional { return !a.leak.provisional }
            let (ga, gb) = (growth(a), growth(b))
            if ga != gb { return (ga ?? -.infinity) > (gb ?? -.infinity) }
            return a.name < b.name
        }
    }

    /// The frame's lines, at most `height`, each at most `width` characters wide (before colour codes).
    public func render(width: Int, height: Int, color: Bool) -> [String] {
        // Below 20×3 no table is readable: one line saying so, cut to the window.
        guard width >= 20, height >= 3 else {
            return height < 1 || width < 1 ? [] : [String("warden top: window too small".prefix(width))]
        }
        let running = processes.filter { $0.state == .running }.count
        let open = alerts.filter { $0.resolvedAt == nil }
        var lines: [Line] = [
            Line("warden top  \(clock)  \(processes.count) processes, \(running) running, \(open.count) open alert\(open.count == 1 ? "" : "s")  (q quits)")
        ]
        if let problem { lines.append(Line("! \(problem)", style: .critical)) }

        let headers = ["NAME", "STATE", "PID", "UPTIME", "RSS", "FDS", "THR", "CPU%", "RESTARTS", "LEAK", "REASON"]
        let rows: [(cells: [String], style: Style?)] = Self.sorted(processes).map { process in
            (Self.cells(process), Style(severity: process.leak.severity))
        }
        let table = Self.columns([headers] + rows.map { $0.cells }, rightAligned: [2, 3, 4, 5, 6, 7, 8])
        lines.append(Line(""))
        lines.append(Line(table.lines[0], style: .bold))
        let leakColumn = headers.firstIndex(of: "LEAK")!
        let leakStart = table.starts[leakColumn]
        for (index, text) in table.lines.dropFirst().enumerated() {
            // Only the severity word of the LEAK cell is coloured.
            let word = rows[index].cells[leakColumn].prefix { $0 != " " }.count
            lines.append(Line(text, style: rows[index].style, styled: leakStart..<(leakStart + word)))
        }

        var tail: [Line] = []
        if !pools.isEmpty {
            tail.append(Line(""))
            tail.append(Line("POOLS", style: .bold))
            for pool in pools { tail.append(Line(Self.poolLine(pool))) }
        }
        if !open.isEmpty {
            tail.append(Line(""))
            tail.append(Line("ALERTS", style: .bold))
            for alert in open {
                tail.append(Line(Self.alertLine(alert), style: Style(severity: alert.severity)))
            }
        }
        // The tail (pools, alerts) is kept whole where it fits; the process table gives up rows first.
        let room = height - tail.count
        if lines.count > room {
            let kept = max(room - 1, min(lines.count, 3))
            let hidden = lines.count - kept
            lines = Array(lines.prefix(kept)) + [Line("… \(hidden) more process\(hidden == 1 ? "" : "es")")]
        }
        return (lines + tail).prefix(height).map { $0.text(width: width, color: color) }
    }

    /// The cells of one process row, in `headers` order.
    static func cells(_ process: ProcessStatus) -> [String] {
        let down: Set<ProcessState> = [.fatal, .backoff, .exited]
        let reason = down.contains(process.state) ? (process.description ?? "-") : (process.restartCauseText ?? "-")
        let state = process.state.rawValue + (process.restartLoop == nil ? "" : " " + StatusTable.loopFlag)
        var cells = [process.name, state, process.pid.map(String.init) ?? "-"]
        cells.append(process.uptimeSeconds.map(StatusTable.uptime) ?? "-")
        cells.append(process.rssBytes.map(StatusTable.mebibytes) ?? "-")
        cells.append(process.fds.map(String.init) ?? "-")
        cells.append(process.threads.map(String.init) ?? "-")
        cells.append(process.cpuPercent.map { StatusTable.fixed($0, decimals: 1) } ?? "-")
        cells.append(String(process.restarts))
        cells.append(process.pid == nil ? "-" : StatusTable.leak(process.leak))
        cells.append(reason)
        return cells
    }

    /// `postgres  postgres://127.0.0.1:5432/app  45/60 (75%)  top: api:0 30, api:1 12  unattributed 3`.
    static func poolLine(_ pool: PoolStatus) -> String {
        let usage = pool.usage.map { StatusTable.fixed($0 * 100, decimals: 0) + "%" } ?? "-"
        let holders = pool.byWorker.filter { $0.value > 0 }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(3).map { "\($0.key) \($0.value)" }
        var line = "\(pool.collector)  \(pool.pool)  \(pool.inUse + pool.idle)/\(pool.max) (\(usage))"
        if !holders.isEmpty { line += "  top: " + holders.joined(separator: ", ") }
        if pool.unattributed > 0 { line += "  unattributed \(pool.unattributed)" }
        return line
    }

    /// `critical  restart-loop  crasher  restart loop: 16 restarts …`: severity, kind, what it is about (the
    /// process or worker, else the pool, else the collector), message.
    static func alertLine(_ alert: AlertStatus) -> String {
        let subject = alert.process ?? alert.worker ?? alert.pool ?? alert.collector ?? "-"
        return "\(alert.severity)  \(alert.kind)  \(subject)  \(alert.message)"
    }

    static func growth(_ process: ProcessStatus) -> Double? {
        process.leak.severity == SeverityGrade.warmingUp.description ? nil : process.leak.rssGrowthMBPerMin
    }

    static func rank(_ severity: String) -> Int {
        LeakSeverity(rawValue: severity).map { LeakSeverity.allCases.firstIndex(of: $0)! } ?? -1
    }

    /// `rows` laid out in columns two spaces apart, and where each column starts (left-aligned columns;
    /// characters). The last column is left as it is (it may be long).
    static func columns(_ rows: [[String]], rightAligned: Set<Int>) -> (lines: [String], starts: [Int]) {
        var widths = Array(repeating: 0, count: rows.map(\.count).max() ?? 0)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        let starts = widths.indices.map { column in widths[..<column].reduce(0, +) + 2 * column }
        return (rows.map { row in
            row.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                if index == row.count - 1 { return cell }
                return rightAligned.contains(index) ? padding + cell : cell + padding
            }.joined(separator: "  ")
        }, starts)
    }

    /// How a line (or its LEAK cell) is drawn.
    enum Style: Equatable {
        case bold, critical, high, medium, low

        init?(severity: String) {
            switch (LeakSeverity(rawValue: severity), PoolAlert.Severity(rawValue: severity)) {
            case (.critical?, _), (_, .critical?): self = .critical
            case (.high?, _): self = .high
            case (.medium?, _), (_, .warning?): self = .medium
            case (.low?, _): self = .low
            default: return nil
            }
        }

        var sgr: String {
            switch self {
            case .bold: return "1"
            case .critical: return "1;31"
            case .high: return "31"
            case .medium: return "33"
            case .low: return "36"
            }
        }
    }

    struct Line {
        var plain: String
        var style: Style?
        /// When set, only these characters are styled (a table row's severity word), else the whole line.
        var styled: Range<Int>?

        init(_ plain: String, style: Style? = nil, styled: Range<Int>? = nil) {
            self.plain = plain; self.style = style; self.styled = styled
        }

        func text(width: Int, color: Bool) -> String {
            let cut = plain.count > width ? Array(plain.prefix(width - 1)) + ["…"] : Array(plain)
            guard color, let style else { return String(cut) }
            let range = (styled ?? 0..<cut.count).clamped(to: 0..<cut.count)
            return String(cut[..<range.lowerBound]) + "\u{1B}[\(style.sgr)m" + String(cut[range]) + "\u{1B}[0m"
                + String(cut[range.upperBound...])
        }
    }
}
