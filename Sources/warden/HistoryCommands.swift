import ArgumentParser
import Glibc
import WardenAPI
import WardenClient
import WardenCore

/// `warden history NAME [--hours H] [--json]`.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show how one process's memory, fds, threads and CPU moved over the last hours.",
        discussion: """
            From the history Warden keeps in STATE_DIR/history.sqlite: one row per measure with its \
            minimum, mean, maximum and last value, and a trend line on a terminal. --json prints the API's \
            {"process", "resolution_seconds", "points": [...]}.

            \(ExitStatus.help)
            """)

    @OptionGroup var options: ConfigOption

    @Argument(help: "Instance name (api:0), or a program name with one instance.")
    var name: String

    @Option(help: "How far back, in hours (0.5, 6, 168).")
    var hours: Double = 1

    @Flag(help: "Print the API's JSON (sorted keys) instead of a table.")
    var json = false

    func validate() throws {
        guard hours > 0, hours.isFinite else { throw ValidationError("--hours must be a positive number of hours") }
    }

    func run() async throws {
        let (name, hours) = (name, hours)
        let history = try await withClient(options) { client throws(WardenClientError) in
            try await client.processHistory(name, hours: hours)
        }
        print(json ? try prettyJSON(history) : HistoryTables.render(history, sparklines: isatty(STDOUT_FILENO) == 1))
    }
}

/// `warden events [--hours H] [--process NAME] [--kind K] [--json]`.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Show the recorded events (state changes, restarts, alerts, reloads) of the last hours.",
        discussion: """
            From the history: the same records as STATE_DIR/events.jsonl, oldest first, at most 10000. \
            --json prints {"events": [...]}. -f then keeps printing new events as they are recorded (polling \
            the API every second; one line per event, one JSON object per line with --json) until interrupted.

            \(ExitStatus.help)
            """)

    @OptionGroup var options: ConfigOption

    @Option(help: "How far back, in hours.")
    var hours: Double = 1

    @Option(help: "Only this instance's events.")
    var process: String?

    @Option(help: "Only events of this kind (state-change, leak-restart, pool-alert, ...).")
    var kind: String?

    @Flag(help: "Print {\"events\": [...]} as JSON (sorted keys) instead of a table.")
    var json = false

    @Flag(name: [.customShort("f"), .customLong("follow")], help: "Keep printing new events (Ctrl-C stops).")
    var follow = false

    func validate() throws {
        guard hours > 0, hours.isFinite else { throw ValidationError("--hours must be a positive number of hours") }
    }

    func run() async throws {
        let (hours, process, kind) = (hours, process, kind)
        let list = try await withClient(options) { client throws(WardenClientError) in
            try await client.events(hours: hours, process: process, kind: kind)
        }
        guard follow else {
            print(json ? try prettyJSON(list) : HistoryTables.render(list.events))
            return
        }
        // Unbuffered writes: each event as it comes, also into a pipe.
        for event in list.events { Terminal.output(Array((try line(event) + "\n").utf8)) }
        // `since` is inclusive: events at the last time seen come again and are skipped by content.
        var last = list.events.last?.time
        var seenAtLast = Set(try list.events.filter { $0.time == last }.map(line))
        while true {
            try await Task.sleep(for: .seconds(1))
            let since = last ?? RFC3339Text.string(secondsSinceEpoch: Self.nowSeconds() - hours * 3600)
            let fresh = try await withClient(options) { client throws(WardenClientError) in
                try await client.events(since: since, process: process, kind: kind)
            }
            for event in fresh.events {
                let text = try line(event)
                if event.time == last, seenAtLast.contains(text) { continue }
                if event.time != last { (last, seenAtLast) = (event.time, []) }
                seenAtLast.insert(text)
                Terminal.output(Array((text + "\n").utf8))
            }
        }
    }

    /// One event: a table line, or one compact JSON object with --json.
    private func line(_ event: WardenEvent) throws -> String {
        json ? try compactJSON(event) : HistoryTables.line(event)
    }

    private static func nowSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
