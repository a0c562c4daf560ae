import WardenConfig
import WardenCore

/// Reload (SIGHUP, `warden reload`): a new, valid configuration is applied as a difference — new programs
/// start, removed ones stop, changed ones restart if they were up (down ones stay down with the new settings),
/// unchanged ones are not touched.
extension Supervisor {
    /// Applies a new, valid configuration: new programs start, removed ones stop, changed ones restart if
    /// they were up (`ConfigChangeResponse`), unchanged ones are not touched.
    func apply(_ new: WardenConfiguration) -> [String] {
        let diff = ConfigDiff(old: configuration.supervisedPrograms, new: new.supervisedPrograms)
        var notes = diff.summary(notes: changeNotes(diff))
        if new.supervisor.stateDirectory != configuration.supervisor.stateDirectory {
            notes.append("state_dir change needs a restart of warden; keeping \(configuration.supervisor.stateDirectory)")
        }
        let old = configuration.supervisor
        if new.supervisor.sampleInterval != old.sampleInterval {
            notes.append("sample_interval \(DurationText.format(old.sampleInterval)) → \(DurationText.format(new.supervisor.sampleInterval))")
        }
        if new.supervisor.shutdownTimeout != old.shutdownTimeout {
            notes.append("shutdown_timeout \(DurationText.format(old.shutdownTimeout)) → \(DurationText.format(new.supervisor.shutdownTimeout))")
        }
        if new.supervisor.logMaxBytes != old.logMaxBytes || new.supervisor.logBackups != old.logBackups {
            notes.append("log rotation \(ByteSize(bytes: old.logMaxBytes)) × \(old.logBackups) → "
                         + "\(ByteSize(bytes: new.supervisor.logMaxBytes)) × \(new.supervisor.logBackups)")
        }
        if new.history != configuration.history {
            notes.append("[history] change needs a restart of warden")
        }
        if new.http != configuration.http {
            notes.append("[http] change needs a restart of warden; keeping \(configuration.http.map(\.address) ?? "no TCP listener")")
        }
        if new.notify != configuration.notify {
            notes.append("[notify] change needs a restart of warden; keeping \(configuration.notify.count) sink(s)")
        }
        var supervisorSettings = new.supervisor
        supervisorSettings.stateDirectory = configuration.supervisor.stateDirectory
        let (http, history, notify) = (configuration.http, configuration.history, configuration.notify)
        configuration = WardenConfiguration(file: configuration.file, supervisor: supervisorSettings, programs: new.programs,
                                            collectors: new.collectors)
        configuration.http = http
        configuration.history = history
        configuration.notify = notify
        syncTrackers(with: new.collectors)
        eventLog.setRotation(maxBytes: supervisorSettings.logMaxBytes, backups: supervisorSettings.logBackups)
        capture.setRotation(maxBytes: supervisorSettings.logMaxBytes, backups: supervisorSettings.logBackups)
        // The reload is recorded before the stops and starts it causes.
        publish(WardenEvent(time: RFC3339.now().0, process: nil, event: .reload, reason: EventReason.applied,
                            message: notes.isEmpty ? "no changes" : notes.joined(separator: "; ")))
        logger.info("configuration reloaded: \(notes.isEmpty ? "no changes" : notes.joined(separator: "; "))")
        withSharedScan {
            for name in diff.removed {
                for instance in registry.all where instance.program.name == name { retire(instance.name) }
            }
            for program in diff.changed { replace(program) }
            for program in diff.added { replace(program) }
        }
        registry.rebuildOrder(programs: configuration.supervisedPrograms)
        return notes
    }

    /// Installs a new or changed program: instances that no longer exist retire, existing ones get the new
    /// settings and, if up, restart gracefully (reason `config-changed`; down ones stay down), new ones start
    /// if autostart. When only
    /// `numprocs` changed, the instances that stay keep running untouched: a resize adds or retires the
    /// instances at the end (`api:2`, `api:3`…), as supervisord's `update` does with a process group.
    private func replace(_ program: ProgramConfiguration) {
        let names = program.instanceNames
        for name in names where registry[name] != nil { restartLoopPolicyChanged(of: name, to: program.restartLoop) }
        for instance in registry.all where instance.program.name == program.name && !names.contains(instance.name) {
            retire(instance.name)
        }
        // Instances an earlier reload was retiring that this configuration has again (numprocs 5 → 3 → 4).
        let comingBack = registry.retiring.intersection(names)
        registry.retiring.subtract(names)
        // Starts wait while other instances of the program are still being stopped (a renamed single
        // instance, retired ones): they may hold its ports or files.
        let othersStopping = registry.retiring.contains { registry[$0]?.program.name == program.name }
        func startOrQueue(_ instance: Instance, reason: TransitionReason) {
            if othersStopping {
                if !registry.pendingStarts.contains(instance.name) { registry.pendingStarts.append(instance.name) }
            } else {
                feed(instance) { $0.start(now: $1, reason: reason) }
            }
        }
        for (index, name) in names.enumerated() {
            if let instance = registry[name] {
                if comingBack.contains(name) {
                    // It was being stopped: it stays, with the new settings, and starts again (a start
                    // during STOPPING turns the stop into a restart).
                    instance.adopt(program)
                    if program.autostart { feed(instance) { $0.start(now: $1, reason: .addedByReload) } }
                    continue
                }
                if instance.program.differsOnlyInNumprocs(from: program) {
                    instance.program = program
                    continue
                }
                // Up: restarts with the new settings. Down (stopped by the operator, exited, fatal): stays
                // down, and its next start uses them.
                let response = ConfigChangeResponse(instance.machine.lifecycle)
                instance.adopt(program)
                if response == .restart { feed(instance) { $0.restart(now: $1, reason: .configChanged) } }
            } else {
                let instance = Instance(name: name, index: index, program: program)
                registry.add(instance)
                announce(instance, reason: TransitionReason.addedByReload)
                if program.autostart { startOrQueue(instance, reason: .addedByReload) }
            }
        }
    }

    /// Per changed program whose existing instances a reload will not all restart, what its line adds
    /// (`(stopped: not started)`); a change of `numprocs` alone touches no remaining instance.
    private func changeNotes(_ diff: ConfigDiff) -> [String: String] {
        var notes: [String: String] = [:]
        for program in diff.changed where diff.resized[program.name] == nil {
            let responses = program.instanceNames.compactMap { name -> (instance: String, response: ConfigChangeResponse)? in
                guard let instance = registry[name], !registry.retiring.contains(name) else { return nil }
                return (name, ConfigChangeResponse(instance.machine.lifecycle))
            }
            notes[program.name] = ConfigChangeResponse.note(responses)
        }
        return notes
    }

    /// Stops an instance that the configuration no longer has; it is dropped once its tree is gone.
    private func retire(_ name: String) {
        guard let instance = registry[name] else { return }
        registry.retiring.insert(name)
        feed(instance) { $0.stop(now: $1, reason: .removedByReload) }
        dropRetired()
    }

    /// Drops retired instances that no longer have a process.
    func dropRetired() {
        for name in registry.retiring {
            guard let instance = registry[name], !instance.machine.state.hasProcess else { continue }
            instance.timer?.cancel()
            registry.remove(name)
            publish(WardenEvent(time: RFC3339.now().0, process: name, program: instance.program.name,
                                event: .processRemoved, reason: TransitionReason.removedByReload))
            registry.retiring.remove(name)
            sampling.previousCPU[name] = nil
            forgetAlerts(of: name)
        }
        registry.rebuildOrder(programs: configuration.supervisedPrograms)
        let waiting = registry.pendingStarts
        registry.pendingStarts = []
        for name in waiting {
            guard let instance = registry[name] else { continue }
            if registry.retiring.contains(where: { registry[$0]?.program.name == instance.program.name }) {
                registry.pendingStarts.append(name)
            } else if !shutdown.begun {
                feed(instance) { $0.start(now: $1, reason: .addedByReload) }
            }
        }
    }
}
