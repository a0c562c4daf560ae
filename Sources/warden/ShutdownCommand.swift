import ArgumentParser
import WardenClient

/// `warden shutdown`.
struct ShutdownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shutdown",
        abstract: "Stop every process and Warden itself, and wait until Warden is gone.",
        discussion: """
            Asks for a graceful shutdown, then waits until the control socket stops answering and the \
            Warden process has exited (its pid comes from the socket's peer credentials), at most --timeout \
            seconds; exit 1 if it is still there by then.

            \(ExitStatus.help)
            """)

    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("Seconds to wait for Warden to exit.", valueName: "SECONDS"))
    var timeout: Int = 120

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be positive.") }
    }

    func run() async throws {
        let client = WardenClient(socketPath: try options.socketPath())
        let processID = client.serverProcessID()
        do {
            try await client.shutdown()
        } catch .malformedResponse {
            // The connection dropped before the 202 arrived: Warden is already going down; wait for it.
        } catch {
            throw report(error)
        }
        guard await client.waitUntilGone(processID: processID, timeout: .seconds(timeout)) else {
            Terminal.error("error: Warden is still running \(timeout)s after the shutdown request")
            throw ExitCode(ExitStatus.failure)
        }
        print("Warden stopped")
    }
}
