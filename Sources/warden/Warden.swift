import ArgumentParser

/// `warden`: the root command; every feature lives in a subcommand.
@main
struct Warden: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warden",
        abstract: "A process supervisor that restarts leaking processes before the OOM killer does.",
        discussion: """
            `warden run -c FILE` supervises the programs of a config file and serves a control API on \
            STATE_DIR/warden.sock (mode 0600). The other commands talk to that socket: STATE_DIR is the \
            config's [supervisor] state_dir when -c is given, else ./.warden; --socket PATH overrides it.

            Exit codes of the client commands: 0 success, 1 refused or failed (unknown name, failed \
            action), 2 invalid config, 3 Warden not reachable.
            """,
        version: WardenVersion.text,
        subcommands: [
            RunCommand.self, StatusCommand.self, StartCommand.self, StopCommand.self, RestartCommand.self,
            ReloadCommand.self, ShutdownCommand.self, CheckCommand.self, PoolsCommand.self, AlertsCommand.self,
            HistoryCommand.self, EventsCommand.self, LogsCommand.self, SignalCommand.self, TopCommand.self,
        ]
    )
}
