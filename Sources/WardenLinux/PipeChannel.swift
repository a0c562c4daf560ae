@preconcurrency import Dispatch  // DispatchSourceRead is not Sendable
import CWarden
import Glibc
import Synchronization

/// One event read from a line-oriented pipe.
public enum PipeLine: Sendable, Equatable {
    /// A complete line, without its `\n`.
    case line([UInt8])
    /// A line longer than the limit was discarded; `bytes` counts what was dropped (at least the limit).
    case oversized(bytes: Int)
}

/// Reads newline-terminated lines from a pipe without blocking any thread of Swift's cooperative pool:
/// a Dispatch read source on the non-blocking read end, on a private serial queue, splits the bytes into
/// lines and yields them to `lines`, which finishes at end of file (the writer closed its end or died).
///
/// Memory is bounded: a line is kept only up to `maxLineBytes`; the rest of an overlong line is skipped
/// up to its newline and reported as `.oversized`. The stream buffers at most `bufferLimit` lines.
public final class PipeLineReader: Sendable {
    /// Lines as they arrive; finishes at EOF or after `close()`.
    public let lines: AsyncStream<PipeLine>
    private let source: Mutex<DispatchSourceRead?>

    /// Takes ownership of `fd` (the pipe's read end; it is made non-blocking and closed by `close()`/EOF).
    public init(fd: Int32, maxLineBytes: Int, bufferLimit: Int = 256, label: String) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let (stream, continuation) = AsyncStream.makeStream(of: PipeLine.self, bufferingPolicy: .bufferingOldest(bufferLimit))
        lines = stream
        let queue = DispatchQueue(label: "warden.pipe.\(label)")
        let readSource = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        let splitter = Splitter(limit: maxLineBytes)
        source = Mutex(readSource)
        // The handler holds the source until it is cancelled (EOF or close()); Dispatch then drops the handler.
        readSource.setEventHandler {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    for event in splitter.feed(chunk[0..<n]) { continuation.yield(event) }
                    continue
                }
                if n < 0, errno == EINTR { continue }
                if n < 0, errno == EAGAIN { return }
                // EOF or a read error: flush an unterminated tail and stop.
                if let tail = splitter.finish() { continuation.yield(tail) }
                readSource.cancel()
                return
            }
        }
        readSource.setCancelHandler {
            Glibc.close(fd)
            continuation.finish()
        }
        readSource.resume()
    }

    /// Stops reading and closes the descriptor. Idempotent.
    public func close() {
        let current = source.withLock { value -> DispatchSourceRead? in
            defer { value = nil }
            return value
        }
        current?.cancel()
    }

    deinit { close() }

    /// Line splitting state, touched only on the reader's serial queue.
    private final class Splitter: @unchecked Sendable {
        // Safety: used only from the read source's handlers, which run one at a time on one serial queue.
        let limit: Int
        var partial: [UInt8] = []
        var skipping = 0   // > 0 while discarding the rest of an overlong line
        init(limit: Int) { self.limit = limit }

        func feed(_ bytes: ArraySlice<UInt8>) -> [PipeLine] {
            var events: [PipeLine] = []
            var rest = bytes[...]
            while let newline = rest.firstIndex(of: 10) {
                let piece = rest[rest.startIndex..<newline]
                if skipping > 0 {
                    events.append(.oversized(bytes: skipping + piece.count))
                    skipping = 0
                } else if partial.count + piece.count > limit {
                    events.append(.oversized(bytes: partial.count + piece.count))
                    partial.removeAll()
                } else {
                    events.append(.line(partial + piece))
                    partial.removeAll(keepingCapacity: true)
                }
                rest = rest[(newline + 1)...]
            }
            if skipping > 0 {
                skipping += rest.count
            } else if partial.count + rest.count > limit {
                skipping = partial.count + rest.count
                partial.removeAll()
            } else {
                partial += rest
            }
            return events
        }

        func finish() -> PipeLine? {
            defer { partial.removeAll(); skipping = 0 }
            if skipping > 0 { return .oversized(bytes: skipping) }
            return partial.isEmpty ? nil : .line(partial)
        }
    }
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
