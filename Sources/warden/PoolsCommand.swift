import ArgumentParser
import WardenAPI
import WardenClient

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `warden pools [-c FILE] [--json]`.
struct PoolsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pools",
        abstract: "Show the connection pools measured by the collector plugins.",
        discussion: """
            One row per pool: used/max connections, usage, idle, waiting, unattributed and long-running \
            connections, then "by worker:" with the workers holding connections, most first, wrapped to the \
            terminal's width (its size, else $COLUMNS; no limit when neither is known) over at most 4 lines. \
            --wide prints one line per pool with every worker the collector reported (those holding none \
            too) and the collection time. --json prints {"pools": [...]}.

            \(ExitStatus.help)
            """)

    @OptionGroup var options: ConfigOption

    @Flag(help: "Print {\"pools\": [...]} as JSON (sorted keys) instead of a table.")
    var json = false

    @Flag(help: "One line per pool, every worker (those holding no connection too) and the collection time; no width limit.")
    var wide = false

    func run() async throws {
        let list = try await withClient(options) { client throws(WardenClientError) in try await client.pools() }
        if json { print(try prettyJSON(list)); return }
        print(wide ? PoolTables.render(list.pools) : PoolTables.render(list.pools, width: TerminalWidth.columns()))
    }
}

/// `warden alerts [-c FILE] [--hours H] [--json]`.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Show open and recently resolved alerts: pools, restart loops, leaks.",
        discussion: """
            Pool alerts: high-usage, exhaustion, connection-leak, exhaustion-forecast, long-running, plugin-failure. Process \
            alerts: restart-loop (with the restart reason that loops) and leak (a memory-growth, rss-max, \
            fds-max or threads-max verdict, with its evidence in --json). COUNT is how many times the \
            condition occurred while the alert was open. --hours H adds the alerts resolved in the last H \
            hours, from the history. --json prints {"alerts": [...]}.

            \(ExitStatus.help)
            """)

    @OptionGroup var options: ConfigOption

    @Option(help: "Also show the alerts resolved in the last H hours (e.g. 24 or 0.5), from the history.")
    var hours: Double?

    @Flag(help: "Print {\"alerts\": [...]} as JSON (sorted keys) instead of a table.")
    var json = false

    func validate() throws {
        if let hours, !(hours.isFinite && hours > 0) { throw ValidationError("--hours must be a positive number of hours") }
    }

    func run() async throws {
        let list = try await withClient(options) { client throws(WardenClientError) in try await client.alerts(hours: hours) }
        print(json ? try prettyJSON(list) : PoolTables.render(list.alerts))
    }
}

/// Sorted-key JSON text of `value` on one line.
func compactJSON(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// Sorted-key, pretty JSON text of `value`.
func prettyJSON(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
