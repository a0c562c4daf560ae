import ArgumentParser
import WardenClient

/// `warden signal NAME SIG [--group]`.
struct SignalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signal",
        abstract: "Send a signal to a process, or with --group to its process group.",
        discussion: """
            SIG is a name (USR1, SIGHUP, term) or a number 1-64. Without --group the main process gets it \
            (through its pidfd); with --group every process of the tree still in the worker's process group \
            does. A program's cleanup_signal sent this way is a forced cleanup. Goes through the control \
            API (POST /v1/processes/signal); prints NAME: STATE PID for each process signalled, and \
            NAME: STATE - (not signalled: no process) for the others. Only when none of the named \
            processes has a process is nothing sent (exit 1).

            \(ExitStatus.help)
            """)

    @OptionGroup var options: ConfigOption

    @Argument(help: "Instance name (api:0), program name (every instance), PROGRAM:* or all.")
    var name: String

    @Argument(help: "Signal name or number (USR1, SIGTERM, 10).")
    var signal: String

    @Flag(help: "Signal the whole process group instead of the main process.")
    var group = false

    func run() async throws {
        let (name, signal, group) = (name, signal, group)
        let processes = try await withClient(options) { client throws(WardenClientError) in
            try await client.signal(names: [name], signal: signal, group: group)
        }
        for process in processes {
            if let pid = process.pid {
                print("\(process.name): \(process.state.rawValue) \(pid)")
            } else {
                print("\(process.name): \(process.state.rawValue) - (not signalled: no process)")
            }
        }
    }
}
