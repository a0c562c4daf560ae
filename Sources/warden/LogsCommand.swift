import ArgumentParser
import Glibc
import WardenClient

/// `warden logs NAME [-f] [--stderr] [-n N]`.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Show a process's captured stdout (or stderr), and follow it with -f.",
        discussion: """
            Reads STATE_DIR/logs/NAME.out.log (NAME.err.log with --stderr) on this machine: STATE_DIR is \
            the config file's state_dir, else the directory of --socket, else ./.warden. The name is checked \
            with Warden when it answers (a program name with one instance is enough). Each captured line \
            starts with the time Warden read it (log_timestamps, on by default), and a line \
            "--- warden: NAME started, pid PID ---" marks where each process's output begins. -f follows \
            the file across rotations and restarts until interrupted.

            \(ExitStatus.help)
            """)

    @OptionGroup var options: ConfigOption

    @Argument(help: "Instance name (api:0), or a program name with one instance.")
    var name: String

    @Flag(name: [.customShort("f"), .customLong("follow")], help: "Keep printing what is appended (Ctrl-C stops).")
    var follow = false

    @Flag(help: "Show the captured stderr instead of stdout.")
    var stderr = false

    @Option(name: [.customShort("n"), .customLong("lines")], help: "How many of the last lines to show first.")
    var lines = 10

    func validate() throws {
        guard lines >= 0 else { throw ValidationError("--lines must be 0 or more") }
    }

    func run() async throws {
        let stateDirectory = try options.stateDirectory()
        let instance = try await instanceName()
        let file = LogFile(path: stateDirectory + "/logs/" + instance + (stderr ? ".err.log" : ".out.log"))
        let tail = file.tail(lines: lines)
        Terminal.output(tail)
        if tail.isEmpty, access(file.path, F_OK) != 0, access(file.path + ".1", F_OK) != 0 {
            // A process that never wrote to this stream leaves no file: say where we looked.
            Terminal.error("no captured output yet: \(file.path)")
        }
        guard follow else { return }
        while true {
            Terminal.output(file.readNew())
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// The one instance `name` stands for, as Warden resolves it; `name` itself when Warden is not running
    /// (the logs outlive it).
    private func instanceName() async throws -> String {
        let client = WardenClient(socketPath: try options.socketPath())
        let processes: [String]
        do {
            processes = try await client.status(names: [name]).map(\.name)
        } catch .cannotConnect {
            return name
        } catch {
            throw report(error)
        }
        guard processes.count == 1 else {
            Terminal.error("error: \(name) has \(processes.count) instances (\(processes.joined(separator: ", "))); name one")
            throw ExitCode(ExitStatus.failure)
        }
        return processes[0]
    }
}
