import ArgumentParser
import WardenClient

/// `warden reload`.
struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make Warden re-read its config file and apply the changes (as SIGHUP does).",
        discussion: """
            Prints one line per applied change. When the file is invalid nothing is applied: each \
            diagnostic is printed as FILE:LINE: message on stderr and the exit code is 2.

            \(ExitStatus.help)
            """)

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let changes = try await withClient(options) { client throws(WardenClientError) in
            try await client.reload()
        }
        if changes.isEmpty { print("no changes") }
        for change in changes { print(change) }
    }
}
