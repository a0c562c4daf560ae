import WardenLinux

/// The conversation with one running collector plugin process (one per spawn of a `collector:NAME`
/// instance): its stdin/stdout/stderr pipes, the handshake and the `collect` sequence.
///
/// Owned by the `Supervisor` actor through its `Instance`; torn down when the process exits or is replaced.
final class PluginLink {
    /// `Instance.spawns` when this link was made: lines from an older process are ignored.
    let generation: Int
    let writer: PipeLineWriter
    let stdoutReader: PipeLineReader
    let stderrReader: PipeLineReader
    /// The tasks reading stdout and stderr; they end by themselves at EOF.
    var tasks: [Task<Void, Never>] = []
    /// The collect loop and the handshake timeout; cancelled as soon as the process is gone.
    var timers: [Task<Void, Never>] = []

    /// Whether the plugin answered `hello` with a matching protocol version.
    var handshakeDone = false
    /// Sequence number of the last `collect` sent (0 = none yet).
    var seq: UInt64 = 0
    /// The `collect` awaiting its answer and when it was sent (monotonic), `nil` when answered.
    var pending: (seq: UInt64, sentAt: Duration)?
    /// Late, missing, malformed or oversized answers in a row; three restart the plugin.
    var consecutiveFailures = 0
    /// Totals for this process, for `warden status` descriptions and events.
    var answered = 0
    var dropped = 0
    /// The last `error` message (redacted), kept for the alert when the process exits.
    var lastError: String?
    /// Set once the process was reaped (its termination status, as text); the link then only drains its
    /// stdout for a last `error` line.
    var exitStatus: String?
    /// Whether the exit raised the collector's plugin-failure alert (a stop asked for does not), so that a
    /// last `error` line read afterwards may complete its message.
    var exitAlerted = false

    init(generation: Int, writer: PipeLineWriter, stdoutReader: PipeLineReader, stderrReader: PipeLineReader) {
        self.generation = generation
        self.writer = writer
        self.stdoutReader = stdoutReader
        self.stderrReader = stderrReader
    }

    /// The process exited: no more rounds and no more input, but the readers go on until EOF.
    func processExited(status: String) {
        timers.forEach { $0.cancel() }
        timers = []
        writer.close()
        exitStatus = status
    }

    /// Closes the pipes and cancels the tasks (reading, collecting, handshake timeout).
    func tearDown() {
        (tasks + timers).forEach { $0.cancel() }
        tasks = []
        timers = []
        writer.close()
        stdoutReader.close()
        stderrReader.close()
    }
}
