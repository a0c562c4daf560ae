import CWarden
import Glibc
import Synchronization
import WardenPluginProtocol

/// The pipe pump behind `PipeLineReader`: one dedicated thread that reads the read ends of line-oriented
/// pipes (collector plugins' stdout and stderr), splits their bytes into lines and yields them to each
/// reader's stream.
///
/// The thread is a plain pthread, not one of Swift's cooperative pool: it blocks in `epoll_wait` on a
/// private level-triggered epoll instance that holds every registered pipe plus an eventfd for wake-ups.
/// Each wake-up reads at most 64 KiB per ready pipe, so one chatty plugin cannot starve the others.
///
/// **No descriptor-reuse race.** Callers never touch a registered descriptor again: they hand it over
/// (`PipeLineReader.init`) and ask for it to be dropped (`PipeLineReader.close()`) through a queue of
/// commands taken under a `Mutex`. Only the pump thread calls `epoll_ctl` on a pipe and `close` on it, and
/// always in that order (remove from epoll, forget it, then close), so a descriptor number can be handed
/// out again by the kernel only once the pump holds no trace of it. Commands are applied in the order
/// they were issued, and a drop names a registration by a unique id, never by descriptor number: a late
/// `close()` of a reader whose pipe already reached EOF can never close a newer pipe that got the same
/// number. (The Dispatch read sources used before multiplex one epoll registration per descriptor number
/// and cancel asynchronously; a number reused while a cancellation was pending crashed libdispatch.)
///
/// Lifecycle: readers keep their pump alive. When the pump and all its readers are released, the thread
/// finishes every remaining stream, closes the remaining pipes and its own descriptors, and exits.
public final class PipeLinePump: Sendable {
    private let core: Core

    /// Creates the pump and starts its thread.
    /// - Throws: `SystemCallError` for `epoll_create1`, `eventfd`, `epoll_ctl` (EMFILE, ENFILE, ENOMEM) or
    ///   `pthread_create` (EAGAIN, ENOMEM).
    public init() throws(SystemCallError) {
        core = try Core()
    }

    // Readers hold the pump, so no command can follow this one.
    deinit { core.send(.stop) }

    /// Hands `fd` over to the pump thread, which makes it non-blocking, adds it to its epoll set, and from
    /// then on yields its lines to `continuation` (finishing it at EOF or on `unregister`).
    /// - Returns: the registration's id, for `unregister`.
    func register(fd: Int32, maxLineBytes: Int, continuation: AsyncStream<PipeLine>.Continuation) -> UInt64 {
        let id = core.nextID.add(1, ordering: .relaxed).newValue
        core.send(.add(Registration(id: id, fd: fd, maxLineBytes: maxLineBytes, continuation: continuation)))
        return id
    }

    /// Asks the pump thread to stop reading registration `id`, close its descriptor and finish its stream.
    /// Nothing happens if it already reached EOF. Does not wait.
    func unregister(_ id: UInt64) {
        core.send(.remove(id))
    }

    /// A pipe handed to the pump, with where its lines go.
    fileprivate struct Registration: Sendable {
        let id: UInt64
        let fd: Int32
        let maxLineBytes: Int
        let continuation: AsyncStream<PipeLine>.Continuation
    }

    /// What callers ask of the pump thread, applied in order.
    fileprivate enum Command: Sendable {
        case add(Registration)
        case remove(UInt64)
        case stop
    }

    /// What the pump thread and its callers share. The thread holds it (not the `PipeLinePump`), so the
    /// pump's `deinit` can run and stop the thread.
    private final class Core: Sendable {
        let epollFD: Int32
        /// An eventfd that wakes the pump thread when commands are queued.
        let wakeFD: Int32
        let nextID = Atomic<UInt64>(0)
        private let queue = Mutex(Queue())

        private struct Queue {
            var commands: [Command] = []
            /// Set by the thread just before it closes `epollFD` and `wakeFD`; nothing is written after.
            var stopped = false
        }

        init() throws(SystemCallError) {
            epollFD = cw_epoll_create()
            guard epollFD >= 0 else { throw SystemCallError.last("epoll_create1") }
            wakeFD = cw_eventfd()
            guard wakeFD >= 0 else {
                let error = SystemCallError.last("eventfd")
                Glibc.close(epollFD)
                throw error
            }
            guard cw_epoll_add_readable(epollFD, wakeFD) == 0 else {
                let error = SystemCallError.last("epoll_ctl")
                Glibc.close(epollFD)
                Glibc.close(wakeFD)
                throw error
            }
            let rc = DetachedThread.start { [self] in
                var pump = Pump(core: self)
                pump.run()
            }
            guard rc == 0 else {
                Glibc.close(epollFD)
                Glibc.close(wakeFD)
                throw SystemCallError("pthread_create", errno: rc)
            }
        }

        /// Queues `command` and wakes the thread.
        func send(_ command: Command) {
            queue.withLock { queue in
                guard !queue.stopped else { return }  // only after `.stop`, which is the last command
                queue.commands.append(command)
                var one: UInt64 = 1
                _ = Glibc.write(wakeFD, &one, 8)  // EAGAIN only if the counter is saturated: the thread is awake
            }
        }

        /// Takes the queued commands (on the pump thread).
        func takeCommands() -> [Command] {
            queue.withLock { queue in
                defer { queue.commands.removeAll() }
                return queue.commands
            }
        }

        /// Marks the queue stopped, then closes the pump's own descriptors (on the pump thread, last).
        func closeDescriptors() {
            queue.withLock { $0.stopped = true }
            Glibc.close(epollFD)
            Glibc.close(wakeFD)
        }
    }

    /// A pipe being read. Owned by the pump thread alone (never shared).
    private struct Stream {
        let id: UInt64
        let fd: Int32
        var splitter: LineSplitter
        let continuation: AsyncStream<PipeLine>.Continuation
    }

    /// The pump thread's state and loop; exists only on that thread.
    private struct Pump {
        let core: Core
        /// Registered pipes by descriptor (what epoll reports), and the descriptor of each registration id.
        var streams: [Int32: Stream] = [:]
        var descriptors: [UInt64: Int32] = [:]

        init(core: Core) { self.core = core }

        mutating func run() {
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
            defer { chunk.deallocate() }
            var ready = [Int32](repeating: 0, count: 64)
            while true {
                for command in core.takeCommands() {
                    switch command {
                    case .add(let registration):
                        add(registration)
                    case .remove(let id):
                        if let fd = descriptors[id] { retire(fd, atEOF: false) }
                    case .stop:
                        for fd in streams.keys { retire(fd, atEOF: false) }
                        core.closeDescriptors()
                        return
                    }
                }
                let count = ready.withUnsafeMutableBufferPointer {
                    cw_epoll_wait_fds(core.epollFD, $0.baseAddress!, Int32($0.count), -1)
                }
                guard count >= 0 else {
                    if errno == EINTR { continue }
                    fatalError("epoll_wait failed: \(SystemCallError.last("epoll_wait"))")  // EBADF/EINVAL: a bug
                }
                // epoll reports each descriptor at most once per wait, and a descriptor retired below is
                // only registered again (if the kernel reuses its number) by a later command.
                for fd in ready[..<Int(count)] {
                    if fd == core.wakeFD {
                        var value: UInt64 = 0
                        _ = read(core.wakeFD, &value, 8)
                    } else if streams[fd] != nil {
                        pump(fd, chunk)
                    }
                }
            }
        }

        /// Starts reading a new pipe; a pipe that cannot be added to epoll (ENOMEM, ENOSPC for
        /// max_user_watches) is closed at once and its stream finished empty.
        private mutating func add(_ registration: Registration) {
            let fd = registration.fd
            // Two live registrations of one number would mean that somebody closed a registered
            // descriptor behind the pump's back: exactly the reuse bug this design rules out.
            precondition(streams[fd] == nil, "PipeLinePump: descriptor \(fd) registered twice")
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            guard cw_epoll_add_readable(core.epollFD, fd) == 0 else {
                Glibc.close(fd)
                registration.continuation.finish()
                return
            }
            streams[fd] = Stream(id: registration.id, fd: fd, splitter: LineSplitter(maxLineBytes: registration.maxLineBytes),
                                 continuation: registration.continuation)
            descriptors[registration.id] = fd
        }

        /// Reads once (up to one chunk) from a ready pipe and yields the lines it completes; at EOF (or on a
        /// read error, which a pipe does not produce) retires the pipe.
        private mutating func pump(_ fd: Int32, _ chunk: UnsafeMutableRawBufferPointer) {
            let count = read(fd, chunk.baseAddress!, chunk.count)
            if count > 0 {
                let continuation = streams[fd]!.continuation
                streams[fd]!.splitter.feed(UnsafeRawBufferPointer(rebasing: chunk[..<count])) {
                    continuation.yield($0)
                }
            } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                retire(fd, atEOF: true)
            }
        }

        /// Removes a pipe from epoll, forgets it, closes it, then finishes its stream (after yielding an
        /// unterminated last line when the pipe reached EOF). The order matters: once `close` returns the
        /// number may be reused, and by then nothing here refers to it.
        private mutating func retire(_ fd: Int32, atEOF: Bool) {
            guard var stream = streams.removeValue(forKey: fd) else { return }
            descriptors[stream.id] = nil
            cw_epoll_remove(core.epollFD, fd)
            Glibc.close(fd)  // never retried on EINTR: Linux has released the descriptor either way
            if atEOF, let tail = stream.splitter.finish() { stream.continuation.yield(tail) }
            stream.continuation.finish()
        }
    }
}
