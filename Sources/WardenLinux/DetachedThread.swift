import CWarden
import Glibc

/// Plain detached pthreads for Warden's pumps (`OutputCapture`, `PipeLinePump`): they block in epoll_wait
/// and in read/write calls, which must never happen on a thread of Swift's cooperative pool.
enum DetachedThread {
    /// Starts a detached pthread that blocks every signal, then runs `body`.
    ///
    /// Signals are blocked because SIGCHLD and friends belong to Dispatch's signalfd, and a pump should not
    /// be interrupted (synchronous faults such as SIGSEGV are still delivered).
    /// - Returns: pthread_create's result: 0 on success, else an errno value (EAGAIN, ENOMEM); `body` then
    ///   never runs.
    static func start(_ body: @escaping @Sendable () -> Void) -> Int32 {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { context in
            var all = sigset_t()
            cw_sigfillset(&all)
            pthread_sigmask(SIG_BLOCK, &all, nil)
            Unmanaged<Box>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, context)
        if rc == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<Box>.fromOpaque(context).release()
        }
        return rc
    }
}
