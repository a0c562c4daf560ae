import ArgumentParser
import WardenAPI
import WardenClient

/// The process names of `start`, `stop` and `restart`.
struct ProcessNames: ParsableArguments {
    @Argument(help: "Instance names (api:0), program names (every instance), PROGRAM:* or all; at least one.")
    var names: [String]
}

/// Shared body of the action commands: call the API (which waits until the action is done) and print
/// `NAME: STATE` per process; with `reportStop`, also the pids the stop ended (`ended pids [12, 13]`).
func performAction(
    _ options: ConfigOption, _ names: [String], reportStop: Bool = false,
    _ action: @escaping (WardenClient, [String]) async throws(WardenClientError) -> [ProcessStatus]
) async throws {
    let processes = try await withClient(options) { client throws(WardenClientError) in
        try await action(client, names)
    }
    for process in processes {
        let ended = reportStop ? process.lastStopPIDs.map { " (ended pids \($0))" } ?? " (was not running)" : ""
        print("\(process.name): \(process.state.rawValue)\(ended)")
    }
}

/// Discussion shared by the action commands.
let actionDiscussion = """
    Waits until the supervisor has finished (a stop waits for the whole process tree to be gone), then \
    prints NAME: STATE for each process.

    \(ExitStatus.help)
    """
