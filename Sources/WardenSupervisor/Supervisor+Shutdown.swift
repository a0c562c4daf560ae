import WardenCore

/// Shutdown: every worker stopped in parallel within `shutdown_timeout`, then SIGKILL to what is left.
extension Supervisor {
    /// Stops every worker in parallel; after `shutdown_timeout` SIGKILLs every tree still alive.
    func beginShutdown() {
        guard !shutdown.begun else { return }
        shutdown.phase = .shuttingDown
        serviceManager.stopping()   // pings stop with supervision; TimeoutStopSec= bounds the shutdown
        logger.info("shutting down: stopping \(registry.order.count) processes")
        publish(WardenEvent(time: RFC3339.now().0, process: nil, event: .supervisor, reason: TransitionReason.shutdown))
        withSharedScan {
            for instance in registry.all { feed(instance) { $0.stop(now: $1, reason: .shutdown) } }
            sweepStrays()
        }
        if !stops.leftovers.isEmpty { ensureStopMonitor() }
        let timeout = configuration.supervisor.shutdownTimeout
        Task { [clock] in
            try? await clock.sleep(for: timeout)
            self.shutdownTimedOut()
        }
        checkShutdownComplete()
    }

    /// The service group was cancelled (SIGQUIT, the control API failed, the graceful shutdown overran):
    /// stop everything now — SIGKILL to every tree without waiting for `stop_timeout`.
    func emergencyStop() {
        logger.warning("cancelled: killing every process tree now")
        beginShutdown()
        shutdownTimedOut(cancelled: true)
    }

    /// SIGKILL to every tree still stopping: `shutdown_timeout` passed, or (`cancelled`) the group was
    /// cancelled and nothing waits.
    private func shutdownTimedOut(cancelled: Bool = false) {
        guard !shutdown.finished else { return }
        shutdown.timedOut = true
        killLeftovers()
        let stopping = registry.all.filter { $0.machine.state == .stopping }
        let why = cancelled ? "cancelled" : "shutdown_timeout \(DurationText.format(configuration.supervisor.shutdownTimeout)) elapsed"
        logger.warning("\(why): SIGKILL to \(stopping.count) process trees")
        withSharedScan {
            for instance in stopping { feed(instance) { $0.killNow(now: $1) } }
        }
    }

    func checkShutdownComplete() {
        guard shutdown.phase == .shuttingDown else { return }
        guard registry.all.allSatisfy({ !$0.machine.state.hasProcess }), stops.leftovers.isEmpty else { return }
        shutdown.phase = .finished
        stops.watch?.cancel()
        for instance in registry.all { instance.timer?.cancel() }
        logger.info("all processes stopped")
        let continuations = shutdown.continuations
        shutdown.continuations = []
        for continuation in continuations { continuation.resume() }
        for waiter in waiters { waiter.continuation.resume() }
        waiters = []
    }
}
