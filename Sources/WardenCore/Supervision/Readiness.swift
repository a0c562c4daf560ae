/// How Warden decides that a starting process has started (`ready` in a program's config).
public enum ReadinessMode: String, Codable, Sendable, CaseIterable {
    /// supervisord's rule: the process has stayed up for `start_seconds`.
    case started
    /// systemd's `Type=notify`: the process (or, with `notify_access = "all"`, any process of its tree)
    /// sends `READY=1` on `NOTIFY_SOCKET` within `start_timeout`.
    case notify
}

/// Which senders' notify messages are accepted for a process (`notify_access`), as systemd's
/// `NotifyAccess=` (systemd.service(5)).
public enum NotifyAccess: String, Codable, Sendable, CaseIterable {
    /// Only the main pid (or the pid named by an accepted `MAINPID=`).
    case main
    /// Any process of the worker's tree.
    case all
}
