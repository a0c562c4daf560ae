public import WardenAPI
import WardenCore

/// The human table `warden status` prints, one row per process.
///
/// Columns: NAME, STATE (with the `LOOP` flag while a restart-loop alert is open), PID, UPTIME, RESTARTS, RSS, TREE RSS, FDS, THREADS, CPU%, LEAK, REASON (the last
/// restart's cause, `exit status 1`, `memory-growth 31.2 MiB/min`; for FATAL, BACKOFF and EXITED the root
/// cause, `directory /srv/app does not exist; gave up after 4 failed starts`), and
/// FORECAST (`rss_max in ~2 min at +31.2 MiB/min`, `pool exhausted in ~14 s at +3.1 conn/s`) when any
/// process has one, and STATUS (the worker's own `STATUS=` text, sd_notify) when any process sent one. Unknown values (no
/// process, no sample yet) print as `-`. Numeric columns are right-aligned.
public enum StatusTable {
    /// Column titles, in order.
    public static let headers = [
        "NAME", "STATE", "PID", "UPTIME", "RESTARTS", "RSS", "TREE RSS", "FDS", "THREADS", "CPU%", "LEAK", "REASON",
    ]
    /// Appended to the STATE cell of a process with an open `restart-loop` alert (`RUNNING LOOP`).
    public static let loopFlag = "LOOP"
    private static let rightAligned: Set<Int> = [2, 3, 4, 5, 6, 7, 8, 9]

    /// The table for `processes`, header first, lines joined by `\n`, no trailing newline.
    public static func render(_ processes: [ProcessStatus]) -> String {
        let withForecast = processes.contains { $0.forecast != nil }
        let withStatus = processes.contains { $0.statusText != nil }
        let titles = headers + (withForecast ? ["FORECAST"] : []) + (withStatus ? ["STATUS"] : [])
        let rows = [titles] + processes.map { process in
            row(process) + (withForecast ? [process.forecast?.summary ?? "-"] : []) + (withStatus ? [process.statusText ?? "-"] : [])
        }
        var widths = Array(repeating: 0, count: rows[0].count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            var line = ""
            for (index, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { line += "  " }
                if index == row.count - 1 {
                    line += rightAligned.contains(index) ? padding + cell : cell
                } else {
                    line += rightAligned.contains(index) ? padding + cell : cell + padding
                }
            }
            return line
        }.joined(separator: "\n")
    }

    /// The cells of one process.
    public static func row(_ process: ProcessStatus) -> [String] {
        [
            process.name,
            process.state.rawValue + (process.restartLoop == nil ? "" : " " + loopFlag),
            process.pid.map(String.init) ?? "-",
            process.uptimeSeconds.map(uptime) ?? "-",
            String(process.restarts),
            process.rssBytes.map(mebibytes) ?? "-",
            process.treeRSSBytes.map(mebibytes) ?? "-",
            process.fds.map(String.init) ?? "-",
            process.threads.map(String.init) ?? "-",
            process.cpuPercent.map { fixed($0, decimals: 1) } ?? "-",
            process.pid == nil ? "-" : leak(process.leak),
            // Down (FATAL, BACKOFF, EXITED): why, and when the next attempt is, matter more than the last restart
            // (e.g. "directory /srv/app does not exist; gave up after 4 failed starts", "exited: exit status 3").
            // Up: what made the last restart happen, with its figure ("exit status 1", "memory-growth 31.2 MiB/min").
            [.fatal, .backoff, .exited].contains(process.state) ? (process.description ?? "-") : (process.restartCauseText ?? "-"),
        ]
    }

    /// Compact uptime: `42s`, `5m03s`, `1h02m`, `3d04h`.
    public static func uptime(_ seconds: Double) -> String {
        let total = seconds.isFinite ? max(0, Int(seconds)) : 0
        let (days, hours, minutes, secs) = (total / 86_400, total / 3600 % 24, total / 60 % 60, total % 60)
        if days > 0 { return "\(days)d" + twoDigits(hours) + "h" }
        if total >= 3600 { return "\(total / 3600)h" + twoDigits(minutes) + "m" }
        if total >= 60 { return "\(minutes)m" + twoDigits(secs) + "s" }
        return "\(secs)s"
    }

    /// Bytes as MiB with one decimal: `12.3MiB`.
    public static func mebibytes(_ bytes: UInt64) -> String {
        fixed(Double(bytes) / 1_048_576, decimals: 1) + "MiB"
    }

    /// Leak verdict: `warming-up (first grade in 1m12s)`, or the severity and the RSS slope, e.g.
    /// `critical +612.3MiB/min`, marked while provisional: `low +4.1MiB/min (provisional, final in 1m40s)`.
    public static func leak(_ leak: LeakStatus) -> String {
        guard let slope = leak.rssGrowthMBPerMin, leak.severity != SeverityGrade.warmingUp.description else {
            return leak.severity + (leak.firstGradeInSeconds.map { " (first grade in \(uptime($0.rounded(.up))))" } ?? "")
        }
        let graded = "\(leak.severity) \(slope < 0 ? "-" : "+")\(fixed(abs(slope), decimals: 1))MiB/min"
        guard leak.provisional else { return graded }
        return graded + " (provisional" + (leak.finalGradeInSeconds.map { ", final in \(uptime($0.rounded(.up)))" } ?? "") + ")"
    }

    /// `value` with exactly `decimals` digits after the point (no Foundation formatting needed).
    static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard decimals > 0 else { return sign + String(whole) }
        let digits = String(fraction)
        return sign + String(whole) + "." + String(repeating: "0", count: decimals - digits.count) + digits
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
