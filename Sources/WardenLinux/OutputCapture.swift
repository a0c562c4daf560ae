import CWarden
import Glibc
import Synchronization
import WardenCore

/// The log pump: copies what workers write to their stdout and stderr pipes into log files, with
/// size-based rotation.
///
/// One dedicated thread (not the Swift cooperative pool: it blocks in epoll_wait and in file writes) waits
/// with level-triggered epoll on the read end of every pipe. Each wake-up reads at most 64 KiB per ready
/// pipe, so one chatty worker cannot starve the others.
///
/// Guarantees:
/// - **A failing log file never stalls a worker.** The pump keeps draining the pipes; bytes whose write
///   fails (ENOSPC, EIO, EFBIG) are dropped and counted in `droppedBytes`.
/// - **Nothing is lost at exit.** A pipe is read until EOF, i.e. until every process of the tree has closed
///   its copy of the write end; only then are the read end and the log file closed.
/// - **Rotation neither loses nor duplicates bytes.** The pump owns the file descriptors, so it rotates
///   between two writes: `NAME.log.(k)` → `NAME.log.(k+1)`, …, `NAME.log` → `NAME.log.1`, then a new
///   `NAME.log` (`LogRotator`; with `backups` = 0, `NAME.log` is truncated in place and its bytes are gone).
///   Files are cut after a newline, so lines stay whole (only a line longer than `maxBytes` is split); a
///   file may therefore exceed `maxBytes` by the end of one line.
/// - **A rotation that fails does not stop the pump.** When `NAME.log` cannot be moved away (a directory
///   or an immutable file at `NAME.log.1`, a read-only directory), output goes on into `NAME.log` past
///   `maxBytes`, the failure is counted (`failedRotations`), and rotation is tried again after `maxBytes`
///   more bytes.
/// - **A log file exists only once there was output.** The pump creates (or reopens) it when the first
///   bytes arrive, not when the pipe is made: spawning does no file-system work beyond `pipe2`, and a
///   stream that never carries a byte (most workers' stderr) leaves no empty file behind. (Creating 1,000
///   files on ext4 was most of the time Warden spent spawning 500 workers.)
///
/// Lifecycle: `makePipe` for each stream before spawning, `closeWriteEnd` after spawning, and `shutdown`
/// once at the end. The pump thread keeps the instance alive until `shutdown` completes.
public final class OutputCapture: Sendable {
    /// Size at which a log file is rotated, in bytes; 0 disables rotation. Changed by `setRotation`.
    public var maxBytes: UInt64 { rotationMaxBytes.load(ordering: .relaxed) }
    /// Number of rotated files kept per log (`NAME.log.1` … `NAME.log.<backups>`); 0 keeps none (the full
    /// file is truncated in place when it reaches `maxBytes`, see `LogRotator`). Changed by `setRotation`.
    public var backups: Int { rotationBackups.load(ordering: .relaxed) }
    private let rotationMaxBytes: Atomic<UInt64>
    private let rotationBackups: Atomic<Int>

    private let epollFD: Int32
    /// An eventfd that wakes the pump for new registrations and for shutdown.
    private let wakeFD: Int32
    private let shared = Mutex(Shared())
    let dropped = Atomic<UInt64>(0)
    let failures = Atomic<UInt64>(0)

    /// A pipe and the path of its log file, handed from `makePipe` to the pump.
    struct Registration: Sendable {
        var readFD: Int32
        var path: String
        /// Whether each line gets a timestamp prefix (`CapturedOutputFormat.timestampPrefix`).
        var timestamps: Bool
        /// Whether an `announce` will follow: output is held until its marker line is written.
        var announced: Bool
    }

    /// State shared between callers and the pump thread.
    private struct Shared {
        /// Registrations the pump has not taken yet.
        var pending: [Registration] = []
        /// The read end of each write end handed out and not closed yet (for `announce`).
        var readEnds: [Int32: Int32] = [:]
        /// Marker lines the pump has not taken yet, by read end.
        var markers: [(readFD: Int32, line: String)] = []
        /// When set, shutdown has begun: no new pipes, and the pump stops at this instant at the latest.
        var deadline: ContinuousClock.Instant?
        /// `shutdown` callers waiting for the pump to stop.
        var waiters: [CheckedContinuation<Bool, Never>] = []
        /// Set when the pump has stopped; whether every pipe reached EOF before the deadline.
        var result: Bool?
    }

    /// Creates the pump and starts its thread.
    /// - Parameters:
    ///   - maxBytes: rotation size in bytes (0: never rotate).
    ///   - backups: rotated files kept per log (negative counts as 0).
    /// - Throws: `SystemCallError` for `epoll_create1`, `eventfd`, `epoll_ctl` or `pthread_create` (EMFILE,
    ///   ENOMEM, EAGAIN).
    public init(maxBytes: UInt64, backups: Int) throws(SystemCallError) {
        rotationMaxBytes = Atomic(maxBytes)
        rotationBackups = Atomic(max(backups, 0))
        epollFD = cw_epoll_create()
        guard epollFD >= 0 else { throw SystemCallError.last("epoll_create1") }
        wakeFD = cw_eventfd()
        guard wakeFD >= 0 else {
            let error = SystemCallError.last("eventfd")
            close(epollFD)
            throw error
        }
        guard cw_epoll_add_readable(epollFD, wakeFD) == 0 else {
            let error = SystemCallError.last("epoll_ctl")
            close(epollFD)
            close(wakeFD)
            throw error
        }
        let rc = DetachedThread.start { [self] in self.run() }
        guard rc == 0 else {
            close(epollFD)
            close(wakeFD)
            throw SystemCallError("pthread_create", errno: rc)
        }
    }

    // The pump thread holds `self` until it stops, so no wake-up can ever be written to a closed (and
    // possibly reused) descriptor.
    deinit {
        close(epollFD)
        close(wakeFD)
    }

    /// Changes the rotation settings (a reload of `log_max_bytes` / `log_backups`). The pump applies them from
    /// its next write on, to every log: a file already above the new `maxBytes` is rotated at its next
    /// output. Rotated files beyond a smaller `backups` are left in place (the next rotations overwrite
    /// from `.backups` down, never touching higher numbers).
    /// - Parameters:
    ///   - maxBytes: rotation size in bytes (0: never rotate).
    ///   - backups: rotated files kept per log (negative counts as 0).
    public func setRotation(maxBytes: UInt64, backups: Int) {
        rotationMaxBytes.store(maxBytes, ordering: .relaxed)
        rotationBackups.store(max(backups, 0), ordering: .relaxed)
    }

    /// Rotations that failed because the log file could not be moved away (a directory or an immutable file
    /// at `NAME.log.1`, a read-only directory): the file then grows on, and rotation is tried again after
    /// `maxBytes` more output.
    public var failedRotations: UInt64 { failures.load(ordering: .relaxed) }

    /// Bytes dropped so far because a log file could not be written or opened.
    public var droppedBytes: UInt64 { dropped.load(ordering: .relaxed) }

    /// Creates a pipe whose output goes to `logPath` and returns its write end for a child's stdout or stderr.
    ///
    /// The log file is not touched here: the pump opens it (O_CREAT|O_APPEND|O_CLOEXEC, mode 0640 less the
    /// umask) when the first bytes arrive, appending to an existing file. Only its directory is checked now
    /// (stat(2)), so that a missing directory still fails here; a file that cannot be opened later (EACCES,
    /// ENOSPC for inodes, the directory removed meanwhile) has its bytes dropped and counted in
    /// `droppedBytes`, and the open is retried at the next output. Both pipe ends are O_CLOEXEC (`Spawner` dup2's the write end
    /// onto the child's fd 1 or 2, which clears the flag there). Only the read end is O_NONBLOCK: the
    /// flag is shared with every copy of the write end, and a worker must see ordinary blocking writes.
    /// - Returns: the write end. Close it in Warden with `closeWriteEnd(_:)` once the child is spawned (or
    ///   the spawn failed); the pump sees EOF only after that.
    /// - Throws: `SystemCallError` for `open <path>` when the directory of `logPath` does not exist (ENOENT)
    ///   or is not a directory (ENOTDIR), for `pipe2` or `fcntl`, or ESHUTDOWN once `shutdown` has been
    ///   called.
    public func makePipe(logPath: String, timestamps: Bool = false, announced: Bool = false) throws(SystemCallError) -> Int32 {
        var info = stat()
        let directory = logPath.utf8.lastIndex(of: UInt8(ascii: "/")).map {
            $0 == logPath.utf8.startIndex ? "/" : String(logPath[..<$0])
        } ?? "."
        guard stat(directory, &info) == 0 else { throw SystemCallError.last("open \(logPath)") }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw SystemCallError("open \(logPath)", errno: ENOTDIR) }
        var ends: (read: Int32, write: Int32) = (-1, -1)
        let piped = withUnsafeMutableBytes(of: &ends) {
            cw_pipe2_cloexec($0.baseAddress!.assumingMemoryBound(to: Int32.self))
        }
        guard piped == 0 else { throw SystemCallError.last("pipe2") }
        let flags = fcntl(ends.read, F_GETFL)
        guard flags >= 0, fcntl(ends.read, F_SETFL, flags | O_NONBLOCK) == 0 else {
            let error = SystemCallError.last("fcntl")
            close(ends.read)
            close(ends.write)
            throw error
        }
        let registration = Registration(readFD: ends.read, path: logPath, timestamps: timestamps, announced: announced)
        let accepted = shared.withLock { state in
            guard state.deadline == nil else { return false }
            state.pending.append(registration)
            state.readEnds[ends.write] = ends.read
            wake()
            return true
        }
        guard accepted else {
            close(ends.read)
            close(ends.write)
            throw SystemCallError("OutputCapture.makePipe", errno: ESHUTDOWN)
        }
        return ends.write
    }

    /// Closes Warden's copy of a write end returned by `makePipe`. Call it right after spawning.
    public func closeWriteEnd(_ fd: Int32) {
        shared.withLock { _ = $0.readEnds.removeValue(forKey: fd) }
        close(fd)  // never retried on EINTR: Linux has released the descriptor either way
    }

    /// Writes `line` (and a newline) into the log of the pipe whose write end is `writeFD` just before the
    /// first bytes the child writes there, so a silent stream still leaves no file. Call it after the spawn
    /// and before `closeWriteEnd`, for a pipe made with `announced: true`: its output is held in memory
    /// (up to 1 MiB) until this line arrives, so the line comes first even when the child wrote before the
    /// pump saw this call. `line` gets a timestamp like any captured line.
    public func announce(_ line: String, onWriteEnd writeFD: Int32) {
        shared.withLock { state in
            guard state.deadline == nil, let readFD = state.readEnds[writeFD] else { return }
            state.markers.append((readFD, line))
            wake()
        }
    }

    /// Stops the pump once every pipe has reached EOF, or after `timeout`, whichever comes first, and waits
    /// for that without blocking a thread.
    ///
    /// New pipes are refused from now on. At the deadline, whatever is already buffered in the remaining
    /// pipes is still written, then they are closed (a worker still writing then gets SIGPIPE/EPIPE).
    /// Calling it again returns the same result.
    /// - Returns: true when every pipe reached EOF before the deadline.
    public func shutdown(timeout: Duration) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let finished = shared.withLock { state -> Bool? in
                if let result = state.result { return result }
                let deadline = ContinuousClock.now.advanced(by: max(timeout, .zero))
                state.deadline = min(state.deadline ?? deadline, deadline)
                state.waiters.append(continuation)
                wake()
                return nil
            }
            if let finished { continuation.resume(returning: finished) }
        }
    }

    /// Wakes the pump. Called with the lock held, only while the pump runs (so `wakeFD` is open).
    private func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)  // EAGAIN only if the counter is saturated: the pump is awake anyway
    }

    // MARK: - Pump thread

    /// The pump thread's loop (every signal is blocked there, see `DetachedThread`).
    private func run() {
        var sinks: [Int32: Sink] = [:]
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { chunk.deallocate() }
        var ready = [Int32](repeating: 0, count: 64)

        while true {
            let (registrations, markers, deadline) = shared.withLock { state in
                defer {
                    state.pending.removeAll()
                    state.markers.removeAll()
                }
                return (state.pending, state.markers, state.deadline)
            }
            for registration in registrations {
                let sink = Sink(registration)
                if cw_epoll_add_readable(epollFD, sink.readFD) == 0 {
                    sinks[sink.readFD] = sink
                } else {
                    retire(sink)  // ENOMEM/ENOSPC: the worker gets EPIPE rather than a pipe nobody reads
                }
            }
            for marker in markers {
                guard let sink = sinks[marker.readFD] else { continue }  // the pipe already reached EOF
                if sink.awaitingMarker {
                    release(sink, marker: marker.line)
                } else if sink.hadOutput {
                    write(line: marker.line, to: sink)
                } else {
                    sink.pendingMarker = marker.line
                }
            }
            // After shutdown began no registration can arrive (makePipe checks the deadline under the lock
            // that also guards `pending`), so `sinks` only shrinks from here.
            if let deadline {
                if sinks.isEmpty { return finish(clean: true) }
                if ContinuousClock.now >= deadline {
                    for sink in sinks.values {
                        var reads = 0  // what is buffered now, at most 16 × 64 KiB
                        while reads < 16, pump(sink, chunk) == .data { reads += 1 }
                        retire(sink)
                    }
                    return finish(clean: false)
                }
            }
            let timeout = deadline.map { Self.milliseconds(until: $0) } ?? -1
            let count = ready.withUnsafeMutableBufferPointer {
                cw_epoll_wait_fds(epollFD, $0.baseAddress!, Int32($0.count), timeout)
            }
            guard count >= 0 else {
                if errno == EINTR { continue }
                fatalError("epoll_wait failed: \(SystemCallError.last("epoll_wait"))")  // EBADF/EINVAL: a bug
            }
            for fd in ready[..<Int(count)] {
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)
                } else if let sink = sinks[fd], pump(sink, chunk) == .closed {
                    sinks[fd] = nil
                    retire(sink)
                }
            }
        }
    }

    private enum PumpResult { case data, empty, closed }

    /// Reads once (up to 64 KiB) from `sink`'s pipe and appends what it got to the log file.
    /// - Returns: `.closed` at EOF (or on a read error, which a pipe does not produce), `.empty` when nothing
    ///   is buffered (EAGAIN).
    private func pump(_ sink: Sink, _ chunk: UnsafeMutableRawBufferPointer) -> PumpResult {
        let count = read(sink.readFD, chunk.baseAddress!, chunk.count)
        if count > 0 {
            let bytes = UnsafeRawBufferPointer(rebasing: chunk[..<count])
            if sink.awaitingMarker && sink.held.count < Self.maxHeldBytes {
                sink.held.append(contentsOf: bytes)
            } else {
                if sink.awaitingMarker { release(sink, marker: nil) }
                deliver(bytes, to: sink)
            }
            return .data
        }
        if count < 0 && (errno == EAGAIN || errno == EINTR) { return .empty }
        return .closed
    }

    /// Removes and returns the queued marker line of the pipe `readFD`, if any.
    private func takeMarker(for readFD: Int32) -> String? {
        shared.withLock { state in
            guard let index = state.markers.firstIndex(where: { $0.readFD == readFD }) else { return nil }
            return state.markers.remove(at: index).line
        }
    }

    /// Most output held while a marker line is awaited; beyond it the output goes on without the marker.
    static let maxHeldBytes = 1 << 20

    /// Captured bytes to the file: the pending marker first, then the bytes, stamped when the sink has
    /// timestamps.
    private func deliver(_ bytes: UnsafeRawBufferPointer, to sink: Sink) {
        if !sink.hadOutput {
            sink.hadOutput = true
            if let marker = sink.pendingMarker {
                sink.pendingMarker = nil
                write(line: marker, to: sink)
            }
        }
        if sink.timestamps {
            let stamped = sink.stamper.stamp(bytes, prefix: Self.timestampPrefix())
            stamped.withUnsafeBytes { append($0, to: sink) }
        } else {
            append(bytes, to: sink)
        }
    }

    /// Stops holding the sink's output: `marker` (if any) goes before the first output, then what was held.
    private func release(_ sink: Sink, marker: String?) {
        sink.awaitingMarker = false
        if let marker { sink.pendingMarker = marker }
        let held = sink.held
        sink.held = []
        if !held.isEmpty { held.withUnsafeBytes { deliver($0, to: sink) } }
    }

    /// Closes a pipe and its file. The epoll registration is removed explicitly: closing alone would not
    /// remove it while a copy of the descriptor lives on (briefly, in a child being spawned concurrently).
    private func retire(_ sink: Sink) {
        // The marker may have been queued in the same wake-up as the EOF (a child that wrote and exited at
        // once): `announce` comes before `closeWriteEnd`, so it is in the queue by now.
        if sink.awaitingMarker { release(sink, marker: takeMarker(for: sink.readFD)) }
        cw_epoll_remove(epollFD, sink.readFD)
        close(sink.readFD)
        if sink.fileFD >= 0 { close(sink.fileFD) }
        sink.fileFD = -1
    }

    /// Records the result and resumes every `shutdown` caller.
    private func finish(clean: Bool) {
        let waiters = shared.withLock { state in
            state.result = clean
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: clean) }
    }

    /// Milliseconds from now until `deadline`, rounded up so that the wait does not end just before it.
    private static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { return 0 }
        let (seconds, attoseconds) = remaining.components
        return Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}
