import ArgumentParser
import WardenClient

/// `warden start NAME...`.
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start processes and wait until they are running.", discussion: actionDiscussion)

    @OptionGroup var options: ConfigOption
    @OptionGroup var processes: ProcessNames

    func run() async throws {
        try await performAction(options, processes.names) { client, names throws(WardenClientError) in
            try await client.start(names: names)
        }
    }
}
