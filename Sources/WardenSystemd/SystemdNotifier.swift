import CSystemd
import Glibc

/// Warden's side of systemd's notify protocol as a `Type=notify` service, through libsystemd's
/// sd_notify(3) and sd_watchdog_enabled(3).
///
/// Without `NOTIFY_SOCKET` in the environment every call is a no-op (sd_notify returns 0), so Warden
/// behaves the same outside systemd. Messages are `KEY=VALUE` lines as defined in sd_notify(3).
public struct SystemdNotifier: Sendable {
    /// Whether systemd (or another service manager) gave Warden a notify socket.
    public let isActive: Bool
    /// The watchdog timeout systemd expects pings within (`WatchdogSec=`), `nil` when not enabled
    /// for this process. Ping at half of it.
    public let watchdogTimeout: Duration?

    /// Reads `NOTIFY_SOCKET` and, through sd_watchdog_enabled(3), `WATCHDOG_USEC`/`WATCHDOG_PID`.
    /// The watchdog variables are left in the environment; Warden strips them from workers' environments.
    public init() {
        isActive = getenv("NOTIFY_SOCKET").map { $0.pointee != 0 } ?? false
        var usec: UInt64 = 0
        if sd_watchdog_enabled(0, &usec) > 0, usec > 0 {
            watchdogTimeout = .microseconds(Int64(clamping: usec))
        } else {
            watchdogTimeout = nil
        }
    }

    /// Sends `assignments` as one datagram, e.g. `["READY=1", "STATUS=3 running"]`.
    /// - Returns: `true` when a message was sent; `false` without a notify socket or on failure
    ///   (sd_notify's negative errno is not surfaced: the service manager going away is not Warden's error).
    @discardableResult
    public func notify(_ assignments: [String]) -> Bool {
        guard isActive else { return false }
        // A value with a newline would inject a second assignment; sd_notify(3) lines are single-line.
        let text = assignments.map { $0.replacing("\n", with: " ") }.joined(separator: "\n")
        return sd_notify(0, text) > 0
    }

    /// `READY=1`, with an optional `STATUS=`.
    public func ready(status: String? = nil) { notify(["READY=1"] + (status.map { ["STATUS=\($0)"] } ?? [])) }
    /// `STATUS=text`.
    public func status(_ text: String) { notify(["STATUS=\(text)"]) }
    /// `RELOADING=1` with `MONOTONIC_USEC=` (CLOCK_MONOTONIC, µs), as systemd ≥ 253 requires for
    /// `Type=notify-reload` and accepts for `Type=notify`.
    public func reloading() { notify(["RELOADING=1", "MONOTONIC_USEC=\(Self.monotonicMicroseconds())"]) }
    /// `STOPPING=1`.
    public func stopping() { notify(["STOPPING=1"]) }
    /// `WATCHDOG=1`.
    public func watchdogPing() { notify(["WATCHDOG=1"]) }

    /// CLOCK_MONOTONIC now, microseconds.
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}
