/// What Warden keeps on disk about each main process it spawned (`STATE_DIR/workers/PID`): enough for the
/// next Warden, after this one died without stopping its workers (SIGKILL, the OOM killer), to find what
/// is left of them and end it before it starts their replacements.
///
/// The file is one line, `PID START_TICKS NAME`: the start time (clock ticks after boot, `/proc/PID/stat`
/// field 22) tells the worker from a process that reused its pid; the name is the instance's, for the log.
public struct WorkerRecord: Sendable, Equatable {
    /// The main process's pid (also its session and process group: workers are spawned with setsid).
    public var pid: Int32
    /// Its start time, clock ticks after boot.
    public var startTime: UInt64
    /// The instance name (`api:0`).
    public var name: String

    public init(pid: Int32, startTime: UInt64, name: String) {
        self.pid = pid
        self.startTime = startTime
        self.name = name
    }

    /// The file's text: `PID START_TICKS NAME` and a newline.
    public var text: String { "\(pid) \(startTime) \(name)\n" }

    /// Parses a record file's text; `nil` when it is not `PID START_TICKS NAME` (a torn or foreign file).
    public init?(text: String) {
        guard text.hasSuffix("\n") else { return nil }
        let fields = text.dropLast().split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3, let pid = Int32(fields[0]), pid > 0, let start = UInt64(fields[1]), !fields[2].isEmpty
        else { return nil }
        self.init(pid: pid, startTime: start, name: String(fields[2]))
    }

    /// What is left of this worker in `table` (pid → start time): its live descendants and the live
    /// members of its session that started no earlier than it — the main process included when it is
    /// still the recorded one. Empty when the pid now names another process: Linux does not reuse a pid
    /// while a session or group still carries it, so then nothing of the old session exists.
    ///
    /// Zombies are left out (they are already dead; their parent reaps them). A descendant that left the
    /// session (setsid) and whose parent died too cannot be told from any other process, and is not found.
    public func leftovers(in table: [Int32: ProcStatEntry]) -> [Int32: UInt64] {
        if let main = table[pid], main.startTime != startTime { return [:] }
        var found: [Int32: UInt64] = [:]
        for entry in table.values where entry.sid == pid && !entry.isExited && entry.startTime >= startTime {
            found[entry.pid] = entry.startTime
        }
        if table[pid] != nil {
            for member in ProcessTable.descendants(of: pid, in: table) {
                guard let entry = table[member], !entry.isExited else { continue }
                found[member] = entry.startTime
            }
        }
        return found
    }
}
