import ArgumentParser
import Glibc
import WardenAPI
import WardenClient

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
            --json prints {"events": [...]}.

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

    func validate() throws {
        guard hours > 0, hours.isFinite else { throw ValidationError("--hours must be a positive number of hours") }
    }

    func run() async throws {
        let (hours, process, kind) = (hours, process, kind)
        let list = try await withClient(options) { client throws(WardenClientError) in
            try await client.events(hours: hours, process: process, kind: kind)
        }
        print(json ? try prettyJSON(list) : HistoryTables.render(list.events))
    }
}
