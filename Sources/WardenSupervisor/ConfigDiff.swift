public import WardenConfig

/// The difference between the running configuration and a newly loaded one, by program name.
///
/// A program is *changed* when any of its settings differ (command, environment, numprocs, leak
/// settings...): SIGHUP restarts its instances that are up and leaves those that are down down, with the new
/// settings (`ConfigChangeResponse`). *Unchanged* programs are not touched at all. Pure: the
/// reload applies the decision (`Supervisor.apply`) and prints `summary`.
public struct ConfigDiff: Sendable, Equatable {
    /// Programs only in the new configuration: started (if autostart).
    public var added: [ProgramConfiguration]
    /// Program names only in the old configuration: stopped and removed.
    public var removed: [String]
    /// Programs present in both with different settings: new settings, instances that are up restarted.
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
        resized = [:]
        before = [:]
        for program in changed { before[program.name] = oldByName[program.name] }
        for program in changed {
            if let before = oldByName[program.name], before.differsOnlyInNumprocs(from: program) {
                resized[program.name] = before.numprocs
            }
        }
    }

    /// Programs in `changed` whose only difference is `numprocs`, with the old count: their remaining
    /// instances are not restarted.
    public var resized: [String: Int]

    /// The running versions of the programs in `changed`, by name.
    public var before: [String: ProgramConfiguration]

    /// One human line per program, e.g. `cron: added`, `old: removed`, `web: numprocs 2 → 4`,
    /// `api: command changed, stop_timeout 10s → 20s` (`ProgramChanges`).
    public var summary: [String] { summary(notes: [:]) }

    /// `summary`, with `notes[name]` appended to a changed program's line: `pgleak: command changed (stopped:
    /// not started)` (`ConfigChangeResponse.note`).
    public func summary(notes: [String: String]) -> [String] {
        added.map { "\($0.name): added" } + removed.map { "\($0): removed" }
            + changed.map { program in
                let line = before[program.name].map { ProgramChanges.line(from: $0, to: program) } ?? "\(program.name): changed"
                return notes[program.name].map { line + " " + $0 } ?? line
            }
    }
}

extension ProgramConfiguration {
    /// Whether `other` is this program with another `numprocs` and nothing else changed. Going from one
    /// instance to several (or back) renames the instances (`api` ↔ `api:0`), so it is not a resize.
    public func differsOnlyInNumprocs(from other: ProgramConfiguration) -> Bool {
        guard numprocs != other.numprocs, (numprocs == 1) == (other.numprocs == 1) else { return false }
        var same = other
        same.numprocs = numprocs
        return same == self
    }
}
