public import WardenConfig

/// The difference between the running configuration and a newly loaded one, by program name.
///
/// A program is *changed* when any of its settings differ (command, environment, numprocs, leak
/// settings...): SIGHUP restarts its instances. *Unchanged* programs are not touched at all.
public struct ConfigDiff: Sendable, Equatable {
    /// Programs only in the new configuration: started (if autostart).
    public var added: [ProgramConfiguration]
    /// Program names only in the old configuration: stopped and removed.
    public var removed: [String]
    /// Programs present in both with different settings: new settings, instances restarted.
    public var changed: [ProgramConfiguration]
    /// Program names present in both with identical settings.
    public var unchanged: [String]

    /// Compares two program lists by name. Pure; O(n) with dictionaries.
    public init(old: [ProgramConfiguration], new: [ProgramConfiguration]) {
        let oldByName = Dictionary(old.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let newNames = Set(new.map(\.name))
        added = new.filter { oldByName[$0.name] == nil }
        changed = new.filter { program in oldByName[program.name].map { $0 != program } ?? false }
        unchanged = new.filter { program in oldByName[program.name] == program }.map(\.name)
        removed = old.map(\.name).filter { !newNames.contains($0) }
    }

    /// Human lines describing the change, e.g. `added api`, `changed worker (restarting 2 processes)`.
    public var summary: [String] {
        added.map { "added \($0.name)" } + removed.map { "removed \($0)" }
            + changed.map { "changed \($0.name)" }
    }
}
