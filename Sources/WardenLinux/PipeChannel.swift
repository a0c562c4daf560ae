import CWarden
import Glibc
import Synchronization
public import WardenPluginProtocol

/// One event read from a line-oriented pipe: a line, or an overlong line skipped (`LineSplitter`'s rules).
public typealias PipeLine = LineSplitter.Event

/// Reads newline-terminated lines from a pipe without blocking any thread of Swift's cooperative pool:
/// the read end is handed to a `PipeLinePump`, whose thread splits the bytes into lines and yields them to
/// `lines`, which finishes at end of file (every copy of the write end closed: the writer closed it or
/// died) or after `close()`.
///
/// Memory is bounded: a line is kept only up to `maxLineBytes`; the rest of an overlong line is skipped
/// up to its newline and reported as `.oversized`. The stream buffers at most `bufferLimit` lines; while it
/// is full, newer lines are dropped.
public final class PipeLineReader: Sendable {
    /// Lines as they arrive, each without its `\n`; at EOF an unterminated last line comes too. Finishes at
    /// EOF or after `close()` (then without the lines still in the pipe).
    public let lines: AsyncStream<PipeLine>
    private let pump: PipeLinePump
    private let id: UInt64
    private let closed = Atomic<Bool>(false)

    /// Takes ownership of `fd`, the pipe's read end: the caller must neither use nor close it any more.
    /// The pump makes it non-blocking and closes it at EOF or after `close()`.
    /// - Parameters:
    ///   - maxLineBytes: longest line delivered, in bytes without the `\n`; longer ones become `.oversized`.
    ///   - bufferLimit: lines buffered in `lines` before newer ones are dropped.
    ///   - pump: the thread that reads the pipe; the reader keeps it alive.
    public init(fd: Int32, maxLineBytes: Int, bufferLimit: Int = 256, pump: PipeLinePump) {
        let (stream, continuation) = AsyncStream.makeStream(of: PipeLine.self,
                                                            bufferingPolicy: .bufferingOldest(bufferLimit))
        lines = stream
        self.pump = pump
        id = pump.register(fd: fd, maxLineBytes: maxLineBytes, continuation: continuation)
    }

    /// Stops reading: the pump closes the descriptor and finishes `lines` soon after (this does not wait).
    /// Idempotent, and harmless after EOF.
    public func close() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        pump.unregister(id)
    }

    deinit { close() }
}

/// The write end of a plugin's stdin: whole lines written without ever blocking.
public final class PipeLineWriter: Sendable {
    private let fd: Mutex<Int32>

    /// Takes ownership of `fd` (made non-blocking).
    public init(fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        self.fd = Mutex(fd)
    }

    /// What happened to a line.
    public enum Outcome: Sendable, Equatable {
        /// Written whole.
        case written
        /// The reader is not keeping up (pipe full) or is gone (EPIPE): nothing or only part of the line
        /// went out, so the channel is no longer line-aligned; the caller must restart the reader.
        case blocked
        case closed
    }

    /// Writes `bytes` followed by a newline. Never waits. SIGPIPE must be ignored or blocked in Warden
    /// (NIO and ServiceLifecycle ignore it), else a dead reader would kill Warden: EPIPE is returned here.
    public func writeLine(_ bytes: [UInt8]) -> Outcome {
        fd.withLock { fd in
            guard fd >= 0 else { return .closed }
            let line = bytes + [10]
            var offset = 0
            while offset < line.count {
                let n = line.withUnsafeBytes { write(fd, $0.baseAddress! + offset, line.count - offset) }
                if n > 0 { offset += n; continue }
                if n < 0, errno == EINTR { continue }
                return .blocked
            }
            return .written
        }
    }

    /// Closes the write end (the plugin sees EOF). Idempotent.
    public func close() {
        fd.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    deinit { close() }
}

/// Pipe creation for plugin channels.
public enum Pipes {
    /// pipe2(O_CLOEXEC): both ends close on exec; the spawner dup2s the child's end onto 0, 1 or 2.
    /// - Throws: `SystemCallError` (EMFILE, ENFILE).
    public static func make() throws(SystemCallError) -> (read: Int32, write: Int32) {
        var ends: (read: Int32, write: Int32) = (-1, -1)
        let rc = withUnsafeMutableBytes(of: &ends) { cw_pipe2_cloexec($0.baseAddress!.assumingMemoryBound(to: Int32.self)) }
        guard rc == 0 else { throw SystemCallError.last("pipe2") }
        return ends
    }
}
