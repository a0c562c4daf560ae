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
    var tasks: [Task<Void, Never>] = []

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

    init(generation: Int, writer: PipeLineWriter, stdoutReader: PipeLineReader, stderrReader: PipeLineReader) {
        self.generation = generation
        self.writer = writer
        self.stdoutReader = stdoutReader
        self.stderrReader = stderrReader
    }

    /// Closes the pipes and cancels the tasks (reading, collecting, handshake timeout).
    func tearDown() {
        tasks.forEach { $0.cancel() }
        tasks = []
        writer.close()
        stdoutReader.close()
        stderrReader.close()
    }
}
