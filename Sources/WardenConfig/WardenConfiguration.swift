/// A whole Warden config file, validated and typed: the `[supervisor]` table, every `[programs.NAME]`
/// table and every `[collectors.NAME]` table.
///
/// Produced only by `ConfigLoader`, or built directly in tests. Values are final: defaults are applied,
/// paths are absolute, and cross-key rules (`backoff_max >= backoff`, increasing leak thresholds) hold.
public struct WardenConfiguration: Sendable, Equatable {
    /// Absolute, lexically normalised path of the config file (what a reload reads again).
    public var file: String
    /// The `[supervisor]` table, defaults applied when the table is missing.
    public var supervisor: SupervisorSettings
    /// One entry per `[programs.NAME]` table, sorted by name; may be empty.
    public var programs: [ProgramConfiguration]
    /// One entry per `[collectors.NAME]` table, sorted by name; may be empty.
    public var collectors: [CollectorConfiguration]
    /// The `[http]` table: the authenticated TCP listener, or `nil` for none.
    public var http: HTTPSettings?
    /// The `[history]` table, defaults applied (`STATE_DIR/history.sqlite`, 7 days, 1 GB).
    public var history: HistorySettings
    /// One entry per `[notify.NAME]` table, sorted by name; may be empty. Read at start: a reload keeps the
    /// running sinks.
    public var notify: [NotifySettings] = []

    public init(
        file: String, supervisor: SupervisorSettings, programs: [ProgramConfiguration],
        collectors: [CollectorConfiguration] = []
    ) {
        self.file = file
        self.supervisor = supervisor
        self.programs = programs.sorted { $0.name < $1.name }
        self.collectors = collectors.sorted { $0.name < $1.name }
        self.history = HistorySettings(path: LexicalPath.resolve(HistorySettings.defaultFileName, against: supervisor.stateDirectory))
    }

    /// The config file's directory: relative paths in it (`state_dir`, `directory`, a plugin path, a
    /// `command[0]` with a `/`) are resolved against it.
    public var directory: String { LexicalPath.directory(of: file) }

    /// The program named `name`, if configured.
    public func program(named name: String) -> ProgramConfiguration? {
        programs.first { $0.name == name }
    }

    /// Every program Warden supervises: the `[programs.X]` tables, then one program per collector, named
    /// `collector:NAME` (a name no `[programs.X]` table can have), that runs its plugin: restarted always,
    /// with a backoff from 1 s to 60 s, 10 failed starts before FATAL, 5 s to stop.
    public var supervisedPrograms: [ProgramConfiguration] {
        programs + collectors.map { collector in
            var program = ProgramConfiguration(
                name: Self.pluginProgramName(collector.name), command: [collector.plugin], restart: .always,
                startSeconds: .seconds(1), startRetries: 10, backoff: .seconds(1), backoffMax: .seconds(60),
                stopTimeout: .seconds(5))
            program.collector = collector
            return program
        }
    }

    /// `collector:NAME`, the program (and instance) name of a collector's plugin process.
    public static func pluginProgramName(_ collector: String) -> String { "collector:" + collector }

    /// The collector named `name`, if configured.
    public func collector(named name: String) -> CollectorConfiguration? {
        collectors.first { $0.name == name }
    }
}
