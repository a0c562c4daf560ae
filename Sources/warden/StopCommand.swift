import ArgumentParser
import WardenClient

/// `warden stop NAME...`.
struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop processes and wait until their process trees are gone.", discussion: actionDiscussion)

    @OptionGroup var options: ConfigOption
    @OptionGroup var processes: ProcessNames

    func run() async throws {
        try await performAction(options, processes.names, reportStop: true) { client, names throws(WardenClientError) in
            try await client.stop(names: names)
        }
    }
}
