@preconcurrency import Dispatch  // DispatchSourceSignal is not Sendable
import CWarden
import Glibc
public import WardenCore
import Synchronization

/// A child process that terminated and has been reaped (its zombie is gone and its pid may be reused).
public struct ReapedChild: Sendable, Equatable {
    /// The pid the child had.
    public let pid: Int32
    /// How it ended (wait(2): WIFEXITED/WEXITSTATUS, WIFSIGNALED/WTERMSIG/WCOREDUMP).
    public let status: TerminationStatus

    /// Creates a record of a reaped child.
    public init(pid: Int32, status: TerminationStatus) {
        self.pid = pid
        self.status = status
    }
}

/// Warden's only reaper: it makes the process a child subreaper and reaps every child that terminates —
/// workers and the orphans of their trees, which the kernel reparents to Warden.
///
/// Exits are noticed through SIGCHLD, not by polling: a Dispatch signal source on a private serial queue
/// (libdispatch reads the signal from a signalfd and installs its own handler, so SIGCHLD is never left at
/// SIG_IGN, which would make the kernel reap children itself). SIGCHLD coalesces, so each event drains
/// with `waitpid(-1, WNOHANG)` until no terminated child is left.
///
/// Nothing else in the process may wait for children (no Foundation `Process`, no swift-subprocess, no
/// `waitpid(pid)`): the `waitpid(-1)` here takes every child.
public enum ChildReaper {
    /// The SIGCHLD source, kept alive for the life of the process; nil until `start()`.
    private static let source = Mutex<DispatchSourceSignal?>(nil)

    /// Sets PR_SET_CHILD_SUBREAPER and starts reaping; returns the stream of reaped children.
    ///
    /// Call it once per process, before spawning (a second call is a programming error and traps, as does
    /// a kernel without PR_SET_CHILD_SUBREAPER, Linux < 3.4). The stream buffers without limit and never
    /// drops a child; it never finishes. Reaping continues even if the stream is no longer consumed, so no
    /// zombie is left behind.
    ///
    /// Contract with the consumer: a child may exit, and be delivered, before `Spawner.spawn` has even
    /// returned its pid. Spawn on the actor that consumes this stream and record the pid before handling
    /// the next element; then every element finds its pid registered. A pid that is not registered is an
    /// adopted orphan (or a child spawned by some other means).
    public static func start() -> AsyncStream<ReapedChild> {
        let (stream, continuation) = AsyncStream.makeStream(of: ReapedChild.self, bufferingPolicy: .unbounded)
        source.withLock { source in
            precondition(source == nil, "ChildReaper.start() may be called only once per process")
            let subreaper = cw_set_child_subreaper(1)  // not inside precondition: -Ounchecked skips it
            precondition(subreaper == 0, "prctl(PR_SET_CHILD_SUBREAPER) failed: errno \(errno)")
            let queue = DispatchQueue(label: "warden.child-reaper")
            let signalSource = DispatchSource.makeSignalSource(signal: SIGCHLD, queue: queue)
            signalSource.setEventHandler { drain(into: continuation) }
            // Until libdispatch has installed its handler and signalfd (asynchronously, after resume), a
            // SIGCHLD is discarded by the default disposition; drain once when that is done, which covers
            // every child that terminated earlier.
            signalSource.setRegistrationHandler { drain(into: continuation) }
            signalSource.resume()
            source = signalSource
        }
        return stream
    }

    /// Reaps every terminated child, yielding each one.
    private static func drain(into continuation: AsyncStream<ReapedChild>.Continuation) {
        while true {
            let (pid, status, error) = ReapGate.lock.withLock { _ -> (pid_t, Int32, Int32) in
                var status: Int32 = 0
                let pid = waitpid(-1, &status, WNOHANG)
                return (pid, status, pid < 0 ? errno : 0)
            }
            if pid > 0 {
                continuation.yield(ReapedChild(pid: pid, status: TerminationStatus(waitStatus: status)))
            } else if pid < 0 && error == EINTR {
                continue
            } else {
                return  // 0: children left, none terminated; ECHILD: no children at all
            }
        }
    }
}

extension TerminationStatus {
    /// Decodes a status from waitpid(2). Without WUNTRACED/WCONTINUED only exits and deaths by signal are
    /// reported, so anything that is not an exit is a signal.
    init(waitStatus status: Int32) {
        if cw_wifexited(status) != 0 {
            self = .exited(cw_wexitstatus(status))
        } else {
            self = .signaled(cw_wtermsig(status), coreDumped: cw_wcoredump(status) != 0)
        }
    }
}
