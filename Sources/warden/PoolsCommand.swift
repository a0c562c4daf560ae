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
            One row per pool: used/max connections, usage, idle, waiting, connections by worker, \
            unattributed ones and long-running ones. --json prints {"pools": [...]}.

            \(ExitStatus.help)
            """)

    @OptionGroup var options: ConfigOption

    @Flag(help: "Print {\"pools\": [...]} as JSON (sorted keys) instead of a table.")
    var json = false

    func run() async throws {
        let list = try await withClient(options) { client throws(WardenClientError) in try await client.pools() }
        print(json ? try prettyJSON(list) : PoolTables.render(list.pools))
    }
}

/// `warden alerts [-c FILE] [--json]`.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Show open and recently resolved pool alerts.",
        discussion: """
            Kinds: high-usage, exhaustion, connection-leak, long-running, plugin-failure. --json prints \
            {"alerts": [...]}.

            \(ExitStatus.help)
            """)

    @OptionGroup var options: ConfigOption

    @Flag(help: "Print {\"alerts\": [...]} as JSON (sorted keys) instead of a table.")
    var json = false

    func run() async throws {
        let list = try await withClient(options) { client throws(WardenClientError) in try await client.alerts() }
        print(json ? try prettyJSON(list) : PoolTables.render(list.alerts))
    }
}

/// Sorted-key, pretty JSON text of `value`.
func prettyJSON(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
