import ArgumentParser
import WardenClient

/// `warden restart NAME...`.
struct RestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Restart processes (reason: manual) and wait until they are running again.", discussion: actionDiscussion)

    @OptionGroup var options: ConfigOption
    @OptionGroup var processes: ProcessNames

    func run() async throws {
        try await performAction(options, processes.names) { client, names throws(WardenClientError) in
            try await client.restart(names: names)
        }
    }
}
