import CWarden
import Glibc
import Synchronization

/// What became of a signal sent to a process or a process group.
public enum SignalDelivery: Sendable, Equatable {
    /// The kernel accepted the signal.
    case delivered
    /// There was nothing to signal (ESRCH): the process was already reaped, or the group has no member
    /// left. Stopping something that is gone is not an error, so callers usually treat this as success.
    case processGone
}

/// An owned pidfd (pidfd_open(2)): a handle that keeps naming the same process even after its pid is
/// reused, so signals sent through it can never reach a stranger.
///
/// Once the process has been reaped, `signal(_:)` reports `.processGone` (ESRCH) instead of signalling
/// whichever process got the pid next. The descriptor is O_CLOEXEC (the kernel always sets it for pidfds)
/// and is closed by `close()` or on deinit.
public final class PIDFD: Sendable {
    /// The descriptor, -1 once closed. Using it under the lock means that `close()` cannot race with a
    /// signal: otherwise the number could be closed and reused by another pidfd between the check and the
    /// syscall, and the signal would reach the wrong process.
    private let descriptor: Mutex<Int32>

    /// Takes ownership of an open pidfd.
    init(adopting fd: Int32) { descriptor = Mutex(fd) }

    /// Opens a pidfd for `pid` (pidfd_open(2), Linux 5.3+).
    ///
    /// The pidfd names whatever process has `pid` *now*; to act on a process known from an earlier
    /// observation, open the pidfd first and then check that the process still has the expected start time
    /// (`ProcReader.sample(pid:)?.startTime`) — after that check the pidfd cannot drift to another process.
    /// - Throws: `SystemCallError` for `pidfd_open`: ESRCH when no such process exists (a zombie still
    ///   has a pid until it is reaped, so it can be opened), EMFILE, or ENOSYS on kernels before 5.3.
    public convenience init(pid: Int32) throws(SystemCallError) {
        let fd = cw_pidfd_open(pid)
        guard fd >= 0 else { throw SystemCallError.last("pidfd_open \(pid)") }
        self.init(adopting: fd)
    }

    deinit { close() }

    /// Sends `signal` to the process (pidfd_send_signal(2)).
    /// - Returns: `.processGone` when the process has already been reaped (ESRCH). A zombie that is not
    ///   reaped yet still accepts (and ignores) signals, so this returns `.delivered` for it.
    /// - Throws: `SystemCallError` for `pidfd_send_signal`: EINVAL for a bad signal number, EPERM, or
    ///   EBADF after `close()`.
    @discardableResult
    public func signal(_ signal: Int32) throws(SystemCallError) -> SignalDelivery {
        try descriptor.withLock { (fd: inout Int32) throws(SystemCallError) -> SignalDelivery in
            guard fd >= 0 else { throw SystemCallError("pidfd_send_signal", errno: EBADF) }
            if cw_pidfd_send_signal(fd, signal) == 0 { return .delivered }
            if errno == ESRCH { return .processGone }
            throw SystemCallError.last("pidfd_send_signal")
        }
    }

    /// Closes the descriptor; later calls to `signal(_:)` throw EBADF. Closing twice is harmless.
    public func close() {
        descriptor.withLock { fd in
            if fd >= 0 { _ = Glibc.close(fd) }
            fd = -1
        }
    }
}

/// Signals addressed by process group (kill(2) with a negative pid).
public enum Signals {
    /// Sends `signal` to every process in process group `pgid` (`kill(-pgid, signal)`).
    ///
    /// Warden spawns each worker in its own session, so its pgid is its pid and the group holds every
    /// descendant that did not move to another group (setsid/setpgid daemons).
    /// - Returns: `.processGone` when the group has no member left (ESRCH).
    /// - Throws: `SystemCallError` for `kill`: EINVAL when `pgid` is not above 1 (`kill(0)` would signal
    ///   Warden's own group and `kill(-1)` every process Warden may signal) or the signal is invalid; EPERM.
    @discardableResult
    public static func sendToGroup(_ pgid: Int32, signal: Int32) throws(SystemCallError) -> SignalDelivery {
        guard pgid > 1 else { throw SystemCallError("kill -\(pgid)", errno: EINVAL) }
        if kill(-pgid, signal) == 0 { return .delivered }
        if errno == ESRCH { return .processGone }
        throw SystemCallError.last("kill -\(pgid)")
    }
}
