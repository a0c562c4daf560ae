import WardenSystemd

/// Warden's own link to its service manager (systemd, `Type=notify`): `READY=1` once, `STATUS=` when the
/// summary changes, `RELOADING=1`/`READY=1` around reloads, `STOPPING=1`, and the watchdog pings. Without
/// `NOTIFY_SOCKET` every call is a no-op. Owned by the `Supervisor` actor.
final class ServiceManagerLink {
    let systemd = SystemdNotifier()
    /// Set once every autostart instance was asked to start.
    var autostartIssued = false
    /// Whether a coalesced update is scheduled.
    var updatePending = false
    private(set) var readySent = false
    private var lastStatus: String?
    private var watchdog: Task<Void, Never>?

    var isActive: Bool { systemd.isActive }

    /// Sends `STATUS=` if `summary` changed; with `ready`, the first call also sends `READY=1`.
    func update(summary: String, ready: Bool) {
        guard systemd.isActive else { return }
        if ready, !readySent {
            readySent = true
            lastStatus = summary
            systemd.ready(status: summary)
        } else if summary != lastStatus {
            lastStatus = summary
            systemd.status(summary)
        }
    }

    /// `RELOADING=1` with `MONOTONIC_USEC`.
    func reloading() { systemd.reloading() }

    /// `READY=1` after a reload (whatever its outcome), if Warden was ready before it.
    func reloaded(status: String) { if readySent { systemd.ready(status: status) } }

    /// `STOPPING=1`; the watchdog pings end with supervision.
    func stopping() {
        systemd.stopping()
        stopWatchdog()
    }

    /// Pings `WATCHDOG=1` every half of `WatchdogSec=` (at least every 10 ms, as sd_watchdog_enabled(3)
    /// advises) through `ping`, which runs on the supervisor: a wedged supervisor stops the pings.
    func startWatchdog(_ ping: @escaping @Sendable () async -> Void) -> Duration? {
        guard let timeout = systemd.watchdogTimeout else { return nil }
        let period = max(timeout / 2, .milliseconds(10))
        watchdog = Task {
            while !Task.isCancelled {
                await ping()
                try? await ContinuousClock().sleep(for: period, tolerance: .milliseconds(10))
            }
        }
        return period
    }

    func stopWatchdog() { watchdog?.cancel() }
}
