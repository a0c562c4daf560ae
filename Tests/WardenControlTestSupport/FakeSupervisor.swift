package import WardenAPI
import WardenCore

/// A `SupervisorControl` over a fixed list of statuses: the seam the HTTP layer drives, with no processes.
///
/// Name resolution follows the protocol: instance names, program names, `PROGRAM:*` and `all`. Programs
/// listed in `failingPrograms` make start/restart fail with `.actionFailed`.
package actor FakeSupervisor: SupervisorControl {
    package private(set) var processes: [ProcessStatus]
    package private(set) var calls: [String] = []
    package private(set) var shutdownRequested = false
    package var reloadOutcome: Result<[String], ControlError> = .success([])
    package var failingPrograms: Set<String> = []
    package var shuttingDown = false
    /// Added to named status queries and to actions, to model a slow supervisor (reentrant: the actor
    /// serves other calls while one waits).
    package var delay: Duration?
    /// What `alerts()` answers.
    package var openAlerts: [AlertStatus] = []

    package init(processes: [ProcessStatus] = Fixtures.processes) {
        self.processes = processes.sorted { $0.name < $1.name }
    }

    package func setReloadOutcome(_ outcome: Result<[String], ControlError>) { reloadOutcome = outcome }
    package func setFailingPrograms(_ programs: Set<String>) { failingPrograms = programs }
    package func setShuttingDown() { shuttingDown = true }
    package func setDelay(_ delay: Duration?) { self.delay = delay }
    package func setAlerts(_ alerts: [AlertStatus]) { openAlerts = alerts }

    private func pause() async {
        if let delay { try? await Task.sleep(for: delay) }
    }

    private func resolve(_ names: [String]) throws(ControlError) -> [Int] {
        var selected: [Int] = []
        for name in names {
            let matches: [Int]
            if name == "all" {
                matches = Array(processes.indices)
            } else if name.hasSuffix(":*") {
                let program = String(name.dropLast(2))
                matches = processes.indices.filter { processes[$0].program == program }
            } else {
                matches = processes.indices.filter { processes[$0].name == name || processes[$0].program == name }
            }
            guard !matches.isEmpty else {
                throw ControlError(.unknownName, field: "names", message: "unknown process name \"\(name)\"")
            }
            selected += matches.filter { !selected.contains($0) }
        }
        return selected.sorted()
    }

    package func status(names: [String]) async throws(ControlError) -> [ProcessStatus] {
        calls.append("status \(names)")
        if names.isEmpty { return processes }
        await pause()
        return try resolve(names).map { processes[$0] }
    }

    package func start(names: [String]) async throws(ControlError) -> [ProcessStatus] {
        calls.append("start \(names)")
        await pause()
        return try act(names, to: .running)
    }

    package func stop(names: [String]) async throws(ControlError) -> [ProcessStatus] {
        calls.append("stop \(names)")
        await pause()
        return try act(names, to: .stopped)
    }

    package func restart(names: [String]) async throws(ControlError) -> [ProcessStatus] {
        calls.append("restart \(names)")
        await pause()
        let indices = try resolve(names)
        for index in indices { processes[index].restarts += 1; processes[index].lastRestartReason = "manual" }
        return try act(names, to: .running)
    }

    package func signal(names: [String], signal: OperatorSignal, group: Bool) async throws(ControlError) -> [ProcessStatus] {
        calls.append("signal \(names) \(signal.number)\(group ? " group" : "")")
        let indices = try resolve(names)
        let idle = indices.filter { processes[$0].pid == nil }.map { processes[$0].name }
        if !idle.isEmpty {
            throw ControlError(.actionFailed, field: "names", message: "no process to signal: \(idle.joined(separator: ", "))")
        }
        return indices.map { processes[$0] }
    }

    private func act(_ names: [String], to state: ProcessState) throws(ControlError) -> [ProcessStatus] {
        if shuttingDown { throw ControlError(.shuttingDown, message: "Warden is shutting down") }
        let indices = try resolve(names)
        for index in indices {
            if state == .running, failingPrograms.contains(processes[index].program) {
                processes[index].state = .fatal
                throw ControlError(
                    .actionFailed, field: "names",
                    message: "\(processes[index].name) could not be started: exited too quickly (FATAL)")
            }
            // As the real supervisor: a stop reports the pids it ended, none when nothing was running.
            if state == .stopped { processes[index].lastStopPIDs = processes[index].pid.map { [$0] } }
            processes[index].state = state
            processes[index].pid = state == .running ? 4242 + Int32(index) : nil
        }
        return indices.map { processes[$0] }
    }

    package func reload() async throws(ControlError) -> [String] {
        calls.append("reload")
        return try reloadOutcome.get()
    }

    package func shutdown() async {
        calls.append("shutdown")
        shutdownRequested = true
    }

    package func pools() async -> PoolList { PoolList(pools: []) }
    package func alerts() async -> AlertList { AlertList(alerts: openAlerts) }

    package func health() async -> HealthStatus {
        HealthStatus(status: "ok", notifyDatagrams: NotifyDatagramCounts(accepted: 1, malformed: 2, unknownSender: 3))
    }
}

/// Sample statuses covering every optional field, set and unset.
package enum Fixtures {
    package static func running(_ name: String, program: String, pid: Int32) -> ProcessStatus {
        ProcessStatus(
            name: name, program: program, state: .running, pid: pid, startedAt: "2026-01-02T03:04:05Z",
            uptimeSeconds: 3725.5, restarts: 2, lastExitStatus: "exit status 1", lastRestartReason: "memory-growth",
            rssBytes: 134_217_728, treeRSSBytes: 201_326_592, threads: 12, fds: 31, treeProcesses: 3,
            cpuPercent: 12.25,
            leak: LeakStatus(
                severity: "critical", rssGrowthMBPerMin: 612.34, fdGrowthPerMin: 0.5, threadGrowthPerMin: 0,
                samples: 60),
            description: nil)
    }

    package static let stopped = ProcessStatus(
        name: "batch", program: "batch", state: .stopped, pid: nil, startedAt: nil, uptimeSeconds: nil,
        restarts: 0, lastExitStatus: nil, lastRestartReason: nil, rssBytes: nil, treeRSSBytes: nil, threads: nil,
        fds: nil, treeProcesses: nil, cpuPercent: nil,
        leak: LeakStatus(
            severity: "warming-up", rssGrowthMBPerMin: nil, fdGrowthPerMin: nil, threadGrowthPerMin: nil, samples: 0),
        description: "not started")

    package static let processes: [ProcessStatus] = [
        running("api:0", program: "api", pid: 101),
        running("api:1", program: "api", pid: 102),
        stopped,
        running("worker", program: "worker", pid: 201),
    ]
}
