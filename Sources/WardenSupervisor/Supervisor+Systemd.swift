import WardenCore
import WardenSystemd

extension Supervisor {
    /// Starts Warden's own watchdog pings when systemd enabled them (`WatchdogSec=`).
    ///
    /// The ping loop runs on this actor and pings only after the actor has run its turn, so a wedged
    /// supervisor (a turn that never ends) stops the pings and systemd restarts Warden.
    func startSystemdWatchdog() {
        guard let timeout = systemd.watchdogTimeout else { return }
        // Half the timeout, as sd_watchdog_enabled(3) advises; never more often than every 10 ms (a
        // WATCHDOG_USEC of a few µs would otherwise make this a busy loop).
        let period = max(timeout / 2, .milliseconds(10))
        logger.info("systemd watchdog enabled: timeout \(DurationText.format(timeout)), pinging every \(DurationText.format(period))")
        systemdWatchdog = Task { [clock] in
            while !Task.isCancelled {
                self.systemd.watchdogPing()
                try? await clock.sleep(for: period, tolerance: .milliseconds(10))
            }
        }
    }

    /// Sends `READY=1` once every autostart instance has left STARTING at least once (it reached RUNNING,
    /// or failed into BACKOFF/FATAL/EXITED), and `STATUS=` whenever the one-line summary changes.
    /// Called after every state change (coalesced) and after a reload.
    func updateServiceManager() {
        guard systemd.isActive, !shuttingDown else { return }
        let summary = statusSummary()
        if !readySent {
            let waiting = order.contains { name in
                guard let instance = instances[name], instance.program.autostart else { return false }
                return !instance.leftStarting
            }
            guard !waiting, autostartIssued else {
                // Still starting: STATUS= shows progress (systemctl status) while systemd waits for READY=1.
                if summary != lastServiceStatus {
                    lastServiceStatus = summary
                    systemd.status(summary)
                }
                return
            }
            readySent = true
            lastServiceStatus = summary
            systemd.ready(status: summary)
            return
        }
        if summary != lastServiceStatus {
            lastServiceStatus = summary
            systemd.status(summary)
        }
    }

    /// Coalesces `updateServiceManager` calls: at most one per 50 ms burst of transitions.
    func scheduleServiceManagerUpdate() {
        guard systemd.isActive, !serviceUpdatePending else { return }
        serviceUpdatePending = true
        Task { [clock] in
            try? await clock.sleep(for: .milliseconds(50))
            self.serviceUpdatePending = false
            self.updateServiceManager()
        }
    }

    /// One line for systemd's `STATUS=`: e.g. `12 running, 1 backoff, 0 fatal; 1 leak alert`.
    func statusSummary() -> String {
        var running = 0, backoff = 0, fatal = 0, starting = 0, leakAlerts = 0
        for instance in instances.values {
            switch instance.machine.state {
            case .running: running += 1
            case .backoff: backoff += 1
            case .fatal: fatal += 1
            case .starting: starting += 1
            default: break
            }
            if instance.lastSeverity == LeakSeverity.high.rawValue || instance.lastSeverity == LeakSeverity.critical.rawValue {
                leakAlerts += 1
            }
        }
        var text = "\(running) running, \(backoff) backoff, \(fatal) fatal"
        if starting > 0 { text = "\(starting) starting, " + text }
        return text + "; \(leakAlerts) leak alert\(leakAlerts == 1 ? "" : "s")"
    }
}
