import WardenCore

/// Warden as a `Type=notify` service (through `ServiceManagerLink`).
extension Supervisor {
    /// Starts Warden's own watchdog pings when systemd enabled them (`WatchdogSec=`).
    func startSystemdWatchdog() {
        guard let timeout = serviceManager.systemd.watchdogTimeout,
              let period = serviceManager.startWatchdog({ await self.pingServiceManager() })
        else { return }
        logger.info("systemd watchdog enabled: timeout \(DurationText.format(timeout)), pinging every \(DurationText.format(period))")
    }

    private func pingServiceManager() { serviceManager.systemd.watchdogPing() }

    /// Sends `READY=1` once every autostart instance has left STARTING at least once (RUNNING, or failed
    /// into BACKOFF/FATAL/EXITED), and `STATUS=` whenever the one-line summary changes.
    func updateServiceManager() {
        guard serviceManager.isActive, !shutdown.begun else { return }
        let waiting = registry.all.contains { $0.program.autostart && !$0.machine.leftStarting }
        serviceManager.update(summary: statusSummary(), ready: serviceManager.autostartIssued && !waiting)
    }

    /// Coalesces `updateServiceManager` calls: at most one per 50 ms burst of transitions.
    func scheduleServiceManagerUpdate() {
        guard serviceManager.isActive, !serviceManager.updatePending else { return }
        serviceManager.updatePending = true
        Task { [clock] in
            try? await clock.sleep(for: .milliseconds(50))
            self.serviceManager.updatePending = false
            self.updateServiceManager()
        }
    }

    /// One line for systemd's `STATUS=`: e.g. `12 running, 1 backoff, 0 fatal; 1 leak alert`.
    func statusSummary() -> String {
        var running = 0, backoff = 0, fatal = 0, starting = 0, leakAlerts = 0
        for instance in registry.all {
            switch instance.machine.state {
            case .running: running += 1
            case .backoff: backoff += 1
            case .fatal: fatal += 1
            case .starting: starting += 1
            default: break
            }
            if instance.machine.severity >= .graded(.high) { leakAlerts += 1 }
        }
        var text = "\(running) running, \(backoff) backoff, \(fatal) fatal"
        if starting > 0 { text = "\(starting) starting, " + text }
        return text + "; \(leakAlerts) leak alert\(leakAlerts == 1 ? "" : "s")"
    }
}
