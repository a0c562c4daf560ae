import ArgumentParser
import WardenAPI
import WardenClient

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `warden status [-c FILE] [--json] [NAME...]`.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the state and resource use of supervised processes.",
        discussion: """
            Columns: NAME, STATE, PID, UPTIME, RESTARTS, RSS and TREE RSS (MiB), FDS, THREADS, CPU% (of one \
            core), LEAK (severity and RSS growth in MiB/min, marked provisional before the final grade; or warming-up with the time to the first grade), REASON (why it last restarted: exit status 1, \
            killed by signal 9 (SIGKILL), memory-growth 31.2 MiB/min, manual; when FATAL, BACKOFF or EXITED, \
            the root cause). --json prints the API's {"processes": [...]} document instead.

            \(ExitStatus.help)
            """)

    @OptionGroup var options: ConfigOption

    @Flag(help: "Print {\"processes\": [...]} as JSON (sorted keys) instead of a table.")
    var json = false

    @Argument(help: "Instance names, program names, PROGRAM:* or all (default: every process).")
    var names: [String] = []

    func run() async throws {
        let processes = try await withClient(options) { client throws(WardenClientError) in
            try await client.status(names: names)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(ProcessList(processes: processes)), as: UTF8.self))
        } else {
            print(StatusTable.render(processes))
        }
    }
}
