import CWarden
import Glibc

/// A failed system call: which call (with its subject, e.g. `open /var/lib/warden/logs/web.out.log`) and
/// the errno it reported. For posix_spawn(3), which returns its error instead of setting errno, `errno` is
/// that return value.
public struct SystemCallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The call that failed, e.g. `pidfd_open` or `posix_spawn /usr/bin/env`.
    public var call: String
    /// The error number (errno(3)), e.g. `ENOENT` = 2.
    public var errno: Int32

    /// Creates an error for `call` with error number `errno`.
    public init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// The failed call with errno's current value; use right after the call, before anything can change errno.
    static func last(_ call: String) -> SystemCallError { SystemCallError(call, errno: Glibc.errno) }

    /// `"call: No such file or directory (errno 2)"`, the text from strerrordesc_np(3).
    public var description: String { "\(call): \(String(cString: cw_strerror(errno))) (errno \(errno))" }
}
