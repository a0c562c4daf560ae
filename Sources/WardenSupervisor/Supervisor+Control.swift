public import WardenAPI
import WardenConfig
public import WardenCore
import WardenLinux

/// A control request waiting for its instances. Each instance counts once it has been seen settled, even
/// if it moves on afterwards (a crash-looping worker is RUNNING only for moments): the request ends when
/// every instance has settled at least once, not when all happen to be settled at the same instant.
struct Waiter {
    var names: [String]
    var isSettled: (Instance) -> Bool
    var continuation: CheckedContinuation<Void, Never>
    /// Names already seen settled.
    var settled: Set<String> = []
}

extension Supervisor: SupervisorControl {
    public func status(names: [String]) async throws(ControlError) -> [ProcessStatus] {
        let resolved = names.isEmpty ? registry.order : try resolve(names)
        return resolved.compactMap { registry[$0].map(status(of:)) }
    }

    public func start(names: [String]) async throws(ControlError) -> [ProcessStatus] {
        let resolved = try resolve(names)
        guard !shutdown.begun else { throw ControlError(.shuttingDown, message: "warden is shutting down") }
        for name in resolved {
            guard let instance = registry[name] else { continue }
            feed(instance) { $0.start(now: $1, reason: .startRequested) }
        }
        await waitUntil(resolved) { [.running, .fatal, .exited, .stopped].contains($0.machine.state) }
        return try failIfNotRunning(resolved, action: "start")
    }

    public func stop(names: [String]) async throws(ControlError) -> [ProcessStatus] {
        let resolved = try resolve(names)
        // Those without a process had nothing to end: their answer carries no pids (not the last stop's).
        let idle = Set(resolved.filter { name in
            registry[name].map { !$0.machine.state.hasProcess && $0.machine.state != .backoff } ?? true
        })
        var before: [String: Int] = [:]
        withSharedScan {
            for name in resolved {
                guard let instance = registry[name] else { continue }
                before[name] = instance.machine.stopsCompleted
                feed(instance) { $0.stop(now: $1, reason: .stopRequested) }
            }
        }
        // Done when the process is gone — or when the stop completed and a later start took over.
        await waitUntil(resolved) { instance in
            (!instance.machine.state.hasProcess && instance.machine.state != .backoff)
                || instance.machine.stopsCompleted > before[instance.name, default: Int.max]
        }
        return resolved.compactMap { name in
            registry[name].map { instance in
                var answer = status(of: instance)
                if idle.contains(name) { answer.lastStopPIDs = nil }
                return answer
            }
        }
    }

    public func restart(names: [String]) async throws(ControlError) -> [ProcessStatus] {
        let resolved = try resolve(names)
        guard !shutdown.begun else { throw ControlError(.shuttingDown, message: "warden is shutting down") }
        withSharedScan {
            for name in resolved {
                guard let instance = registry[name] else { continue }
                feed(instance) { $0.restart(now: $1, reason: .manual) }
            }
        }
        // Wait for the stop half first (STOPPING ends), then for the start half.
        await waitUntil(resolved) { $0.machine.state != .stopping }
        await waitUntil(resolved) { [.running, .fatal, .exited, .stopped].contains($0.machine.state) }
        return try failIfNotRunning(resolved, action: "restart")
    }

    public func signal(names: [String], signal: OperatorSignal, group: Bool) async throws(ControlError) -> [ProcessStatus] {
        let resolved = try resolve(names)
        let targets = resolved.compactMap { registry[$0] }
        // The ones with a process get the signal; the others are reported (no pid in their status). Only
        // when none has a process is it a refusal: `signal all USR1` must not fail for one stopped worker.
        guard targets.contains(where: { $0.pid != nil }) else {
            let list = targets.map { "\($0.name) (\($0.machine.state.rawValue))" }.joined(separator: ", ")
            throw ControlError(.actionFailed, field: "names", message: "no process to signal: \(list)")
        }
        for instance in targets {
            guard let pid = instance.pid else { continue }
            // Every worker is spawned with setsid, so its pgid is its pid.
            if group {
                spawning.processes.signalGroup(pid, signal: signal.number)
            } else {
                spawning.processes.signal(pid, pidfd: instance.pidfd, signal: signal.number)
            }
            logger.notice("\(instance.name): \(signal) sent to \(group ? "process group" : "pid") \(pid) on request")
        }
        return resolved.compactMap { registry[$0].map(status(of:)) }
    }

    public func reload() async throws(ControlError) -> [String] {
        guard !shutdown.begun else { throw ControlError(.shuttingDown, message: "warden is shutting down") }
        // systemd: RELOADING=1 … READY=1 brackets the reload, whatever its outcome.
        serviceManager.reloading()
        defer { if !shutdown.begun { serviceManager.reloaded(status: statusSummary()) } }
        let file = configuration.file
        let loaded: WardenConfiguration
        do {
            loaded = try ConfigLoader.load(path: file)
        } catch {
            let lines = error.diagnostics.map(\.description)
            publish(WardenEvent(time: RFC3339.now().0, process: nil, event: .reload, reason: EventReason.invalidConfig,
                                message: lines.joined(separator: "\n")))
            logger.error("reload rejected, keeping the running configuration:\n\(lines.joined(separator: "\n"))")
            throw ControlError(.invalidConfig, message: lines.joined(separator: "\n"))
        }
        guard !shutdown.begun else { throw ControlError(.shuttingDown, message: "warden is shutting down") }
        return apply(loaded)
    }

    public func shutdown() async {
        if let request = shutdown.requestGroupShutdown { request() } else { beginShutdown() }
    }

    // MARK: Names and waiting

    /// Resolves `all`, `PROGRAM:*`, a program name and instance names into instance names, in order.
    /// - Throws: `.unknownName` for the first name that matches nothing.
    func resolve(_ names: [String]) throws(ControlError) -> [String] {
        var result: [String] = []
        var seen: Set<String> = []
        let visible = registry.order.filter { !registry.retiring.contains($0) }
        var byProgram: [String: [String]] = [:]
        for name in visible { if let program = registry[name]?.program.name { byProgram[program, default: []].append(name) } }
        var asked: Set<String> = []
        for name in names where asked.insert(name).inserted {
            let matches: [String]
            if name == "all" {
                matches = visible
            } else if name.hasSuffix(":*") {
                matches = byProgram[String(name.dropLast(2))] ?? []
            } else if registry[name] != nil, !registry.retiring.contains(name) {
                matches = [name]
            } else {
                matches = byProgram[name] ?? []
            }
            guard !matches.isEmpty else {
                throw ControlError(.unknownName, field: "names", message: "no such process: \(name)")
            }
            for match in matches where seen.insert(match).inserted { result.append(match) }
        }
        return result
    }

    private func failIfNotRunning(_ names: [String], action: String) throws(ControlError) -> [ProcessStatus] {
        let statuses = names.compactMap { registry[$0].map(status(of:)) }
        let failed = statuses.filter { $0.state != .running }
        if !failed.isEmpty {
            let detail = failed.map { status in
                let why = status.state == .fatal ? status.description : status.lastExitStatus
                return "\(status.name) is \(status.state.rawValue)\(why.map { " (\($0))" } ?? "")"
            }
            // Every process asked for, not only the failed ones: `start all` must say what did start.
            let running = statuses.filter { $0.state == .running }.map(\.name)
            throw ControlError(.actionFailed, message: "\(action) failed: " + detail.joined(separator: ", ")
                               + (running.isEmpty ? "" : "; running: " + running.joined(separator: ", ")))
        }
        return statuses
    }

    func waitUntil(_ names: [String], _ settled: @escaping (Instance) -> Bool) async {
        if names.allSatisfy({ registry[$0].map(settled) ?? true }) { return }
        await withCheckedContinuation { continuation in
            waiters.append(Waiter(names: names, isSettled: settled, continuation: continuation,
                                  settled: Set(names.filter { registry[$0].map(settled) ?? true })))
        }
    }

    func resolveWaiters() {
        guard !waiters.isEmpty else { return }
        var pending: [Waiter] = []
        for var waiter in waiters {
            for name in waiter.names where !waiter.settled.contains(name) {
                if registry[name].map(waiter.isSettled) ?? true { waiter.settled.insert(name) }
            }
            if waiter.names.allSatisfy(waiter.settled.contains) {
                waiter.continuation.resume()
            } else {
                pending.append(waiter)
            }
        }
        waiters = pending
    }
}
