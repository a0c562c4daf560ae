#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import Logging
public import WardenAPI
import WardenConfig
import WardenCore
import WardenLinux
import WardenPluginProtocol

/// Collector plugins (docs/plugin-protocol.md): each `[collectors.NAME]` runs as the supervised instance
/// `collector:NAME` — spawned, sampled, restarted with backoff like any worker — whose stdin/stdout carry
/// the JSON-lines conversation and whose stderr goes to Warden's log.
///
/// Warden never waits on a plugin: lines are read by one pump thread (`PipeLinePump`, shared by every
/// plugin) and delivered to this actor; writes are non-blocking (a plugin that does not drain its stdin is
/// restarted). Answers that are late, malformed or oversized are dropped and counted; three in a row
/// restart the plugin.
extension Supervisor {
    /// Starts the conversation with a freshly spawned plugin: reading tasks, `hello`, handshake timeout.
    func startConversation(with instance: Instance, collector: CollectorConfiguration) {
        guard let link = instance.plugin else { return }
        let name = instance.name
        let generation = link.generation
        let output = link.stdoutReader.lines
        let errors = link.stderrReader.lines
        link.tasks.append(Task {
            for await line in output { self.pluginOutput(name, generation, line) }
            self.pluginOutputEnded(name, generation)
        })
        link.tasks.append(Task {
            for await line in errors {
                guard case .line(let bytes) = line else { continue }
                let text = CredentialRedaction.redact(String(decoding: bytes, as: UTF8.self))
                self.logger.info("\(name): \(text)", metadata: ["process": "\(name)"])
            }
        })
        send(.hello(collector.hello), on: link, of: instance)
        let limit = max(collector.timeout * 2, .seconds(5))
        link.timers.append(Task { [clock] in
            try? await clock.sleep(for: limit)
            guard !Task.isCancelled else { return }
            self.handshakeTimedOut(name, generation, after: limit)
        })
    }

    /// Ends the conversation with the current plugin process (exit, restart, removal).
    ///
    /// With an exit `status` the process is gone, but its stdout is still read to EOF (`exitedPlugin`): a
    /// plugin that fails usually says why in an `error` line just before exiting, and that line may reach
    /// Warden after the exit does. Without one (the conversation is abandoned) everything is closed now.
    func endConversation(with instance: Instance, exit status: TerminationStatus?) {
        instance.exitedPlugin?.tearDown()
        instance.exitedPlugin = nil
        guard let link = instance.plugin else { return }
        instance.plugin = nil
        guard let status else {
            link.tearDown()
            return
        }
        link.processExited(status: "\(status)")
        instance.exitedPlugin = link
        guard let collector = instance.program.collector, !shutdown.begun,
              instance.machine.state != .stopping, instance.machine.state != .stopped
        else { return }
        link.exitAlerted = true
        pluginFailed(collector, Self.exitMessage(collector, link))
    }

    /// `plugin NAME exited (STATUS)`, followed by `: MESSAGE` when the process's last `error` is known.
    private static func exitMessage(_ collector: CollectorConfiguration, _ link: PluginLink) -> String {
        "plugin \(collector.plugin) exited (\(link.exitStatus ?? "?"))" + (link.lastError.map { ": \($0)" } ?? "")
    }

    /// A plugin's stdout reached EOF (or its reader was closed): an exited process's link is released.
    private func pluginOutputEnded(_ name: String, _ generation: Int) {
        guard let instance = registry[name], let link = instance.exitedPlugin, link.generation == generation
        else { return }
        link.tearDown()
        instance.exitedPlugin = nil
    }

    /// A line from a process that already exited: only an `error` is of use, to complete the exit alert.
    private func exitedPluginOutput(_ instance: Instance, _ link: PluginLink, _ collector: CollectorConfiguration,
                                    _ line: PipeLine) {
        guard case .line(let bytes) = line,
              case .error(let failure)? = try? JSONDecoder().decode(PluginMessage.self, from: Data(bytes))
        else { return }
        let text = CredentialRedaction.redact(failure.message)
        link.lastError = text
        logger.warning("\(instance.name): error before exiting: \(text)", metadata: ["process": "\(instance.name)"])
        // Only the alert of this exit is completed: not after a stop that was asked for, nor once a newer
        // process has answered (which resolved it).
        guard link.exitAlerted, !shutdown.begun, (instance.plugin?.answered ?? 0) == 0 else { return }
        pluginFailed(collector, Self.exitMessage(collector, link))
    }

    // MARK: Messages

    private func send(_ message: HostMessage, on link: PluginLink, of instance: Instance) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(message) else { return }
        if link.writer.writeLine(Array(data)) != .written {
            // A plugin that does not drain its stdin (or closed it) gets a restart: the channel may now
            // hold half a line, so it cannot be used any more.
            restartPlugin(instance, why: "its stdin is full or closed (it is not reading)")
        }
    }

    private func pluginOutput(_ name: String, _ generation: Int, _ line: PipeLine) {
        guard let instance = registry[name], let collector = instance.program.collector else { return }
        if let exited = instance.exitedPlugin, exited.generation == generation {
            return exitedPluginOutput(instance, exited, collector, line)
        }
        guard let link = instance.plugin, link.generation == generation else { return }
        let bytes: [UInt8]
        switch line {
        case .oversized(let size):
            return dropAnswer(instance, link, why: "a line of \(size) bytes, more than \(PluginProtocol.maxLineBytes)")
        case .line(let content):
            bytes = content
        }
        let message: PluginMessage
        do { message = try JSONDecoder().decode(PluginMessage.self, from: Data(bytes)) } catch {
            return dropAnswer(instance, link, why: "a malformed line (not a protocol message)")
        }
        switch message {
        case .hello(let hello):
            guard !link.handshakeDone else { return dropAnswer(instance, link, why: "a second hello") }
            guard hello.protocolVersion == PluginProtocol.version else {
                let text = "plugin \(hello.name) speaks protocol version \(hello.protocolVersion); warden speaks \(PluginProtocol.version)"
                logger.error("\(name): \(text); stopping it", metadata: ["process": "\(name)", "event": "plugin"])
                publish(WardenEvent(time: RFC3339.now().0, process: name, event: .plugin, reason: TransitionReason.protocolMismatch,
                                   pid: instance.pid, message: text))
                pluginFailed(collector, text)
                // Restarting cannot fix a version mismatch: the plugin stays stopped until a reload.
                feed(instance) { $0.stop(now: $1, reason: .protocolMismatch) }
                return
            }
            link.handshakeDone = true
            publish(WardenEvent(time: RFC3339.now().0, process: name, event: .plugin, reason: EventReason.handshake,
                               pid: instance.pid,
                               message: "\(hello.name) \(hello.version), capabilities \(hello.capabilities.joined(separator: ","))"))
            logger.info("\(name): \(hello.name) \(hello.version) ready", metadata: ["process": "\(name)"])
            let interval = collector.interval
                        link.timers.append(Task { [clock] in
                while !Task.isCancelled {
                    self.collectTick(name, generation)
                    try? await clock.sleep(for: interval)
                }
            })
        case .samples(let samples):
            guard let pending = link.pending, pending.seq == samples.seq else {
                return dropAnswer(instance, link, why: "samples for seq \(samples.seq), which is not the pending collect")
            }
            link.pending = nil
            guard now() - pending.sentAt <= collector.timeout else {
                return dropAnswer(instance, link, why: "samples for seq \(samples.seq) after the \(DurationText.format(collector.timeout)) timeout")
            }
            link.consecutiveFailures = 0
            link.answered += 1
            var result = plugins.update(collector) { $0.resolvePluginFailure(at: $1) }
            result.merge(recordSamples(samples.pools, collector: collector))
            apply(result, collector: collector.name)
        case .error(let failure):
            if let seq = failure.seq, link.pending?.seq == seq { link.pending = nil }
            link.consecutiveFailures = 0
            let text = CredentialRedaction.redact(failure.message)
            link.lastError = text
            logger.warning("\(name): collect failed: \(text)", metadata: ["process": "\(name)"])
            pluginFailed(collector, text)
        }
    }

    /// Publishes a collector's pools on the event stream and feeds them to its alert tracker.
    private func recordSamples(_ pools: [PoolSample], collector: CollectorConfiguration) -> PoolCheckResult {
        events.publish(.collected(PoolRound(collector: collector.name, secondsSinceEpoch: RFC3339.now().1.secondsSinceEpoch,
                                            pools: pools)))
        let sustains = Dictionary(registry.all.map { ($0.name, $0.program.leak.sustain) }, uniquingKeysWith: { a, _ in a })
        return plugins.update(collector) { tracker, now in
            tracker.record(pools, at: now, leakSustain: { sustains[$0] ?? .seconds(60) })
        }
    }

    private func dropAnswer(_ instance: Instance, _ link: PluginLink, why: String) {
        link.dropped += 1
        link.consecutiveFailures += 1
        logger.warning("\(instance.name): dropped \(why) (\(link.consecutiveFailures) in a row)",
                       metadata: ["process": "\(instance.name)"])
        if link.consecutiveFailures >= 3 {
            restartPlugin(instance, why: "3 answers in a row were late, missing, malformed or oversized")
        }
    }

    private func restartPlugin(_ instance: Instance, why: String) {
        guard let collector = instance.program.collector, instance.machine.state == .running || instance.machine.state == .starting
        else { return }
        publish(WardenEvent(time: RFC3339.now().0, process: instance.name, program: instance.program.name, event: .plugin,
                           reason: TransitionReason.pluginUnresponsive, pid: instance.pid, message: why))
        logger.warning("\(instance.name): restarting: \(why)", metadata: ["process": "\(instance.name)"])
        pluginFailed(collector, "plugin \(collector.plugin) restarted: \(why)")
        if let link = instance.plugin { link.consecutiveFailures = 0; link.pending = nil }
        feed(instance) { $0.restart(now: $1, reason: .pluginUnresponsive) }
    }

    private func handshakeTimedOut(_ name: String, _ generation: Int, after limit: Duration) {
        guard let instance = registry[name], let link = instance.plugin, link.generation == generation,
              !link.handshakeDone
        else { return }
        restartPlugin(instance, why: "no hello answer within \(DurationText.format(limit))")
    }

    /// One `collect` round: an unanswered previous round counts as a failure, then the next is sent.
    private func collectTick(_ name: String, _ generation: Int) {
        guard let instance = registry[name], let link = instance.plugin, link.generation == generation,
              link.handshakeDone, !shutdown.begun
        else { return }
        if let pending = link.pending {
            link.pending = nil
            dropAnswer(instance, link, why: "no answer to collect seq \(pending.seq)")
            guard instance.plugin === link, instance.machine.state.hasProcess, instance.machine.state != .stopping else { return }
        }
        link.seq += 1
        link.pending = (link.seq, now())
        send(.collect(.init(seq: link.seq, workers: workerTrees())), on: link, of: instance)
    }

    /// The supervised workers with a live process and the pids of their trees, from a fresh /proc scan:
    /// the sampler's view may be a whole `sample_interval` old, and a worker forking a client per
    /// connection would then be credited with its connections one sample late (a staircase that hides
    /// steady growth from the leak rule).
    private func workerTrees() -> [WorkerTree] {
        let index = scanProcesses()
        return registry.all.compactMap { instance in
            guard instance.program.collector == nil, let pid = instance.pid else { return nil }
            let tree = Set(treeMembers(of: instance, index: index).keys).union([pid])
            return WorkerTree(name: instance.name, program: instance.program.name, pid: pid, treePIDs: tree.sorted())
        }
    }

    // MARK: Alerts and actions

    /// Raises the collector's plugin-failure alert with `message`.
    func pluginFailed(_ collector: CollectorConfiguration, _ message: String) {
        apply(plugins.update(collector) { $0.raisePluginFailure(message, at: $1) }, collector: collector.name)
    }

    /// Records opened/resolved alerts as events and acts on connection-leak verdicts.
    func apply(_ result: PoolCheckResult, collector: String) {
        // The records carry the alert's own times, so the history's alert rows match the live alerts.
        for alert in result.opened {
            var opened = WardenEvent(time: RFC3339Text.string(secondsSinceEpoch: alert.startedAt), process: alert.worker,
                                     event: .poolAlert, reason: alert.kind, collector: alert.collector, pool: alert.pool,
                                     severity: alert.severity, message: alert.message)
            opened.connection = alert.connection
            opened.program = alert.worker.flatMap { registry[$0]?.program.name }
            if let forecast = alert.forecast { opened.evidence = WardenEvent.Evidence(forecast: forecast) }
            publish(opened)
            var metadata: Logger.Metadata = ["event": "\(WardenEvent.Kind.poolAlert.rawValue)"]
            if let worker = alert.worker { metadata["process"] = "\(worker)" }
            logger.warning("pool alert \(alert.kind.rawValue) (\(alert.severity.rawValue)) \(alert.pool ?? collector): \(alert.message)",
                           metadata: metadata)
        }
        for alert in result.resolved {
            var record = WardenEvent(time: RFC3339Text.string(secondsSinceEpoch: alert.resolvedAt ?? alert.startedAt),
                                     process: alert.worker, event: .poolAlertResolved, reason: alert.kind,
                                     collector: alert.collector, pool: alert.pool, severity: alert.severity,
                                     message: alert.message)
            record.occurrences = alert.occurrences
            record.connection = alert.connection
            record.program = alert.worker.flatMap { registry[$0]?.program.name }
            publish(record)
        }
        let context = WorkerStateMachine.Context(shuttingDown: shutdown.begun)
        for verdict in result.leakVerdicts {
            guard let instance = registry[verdict.worker], instance.program.collector == nil else { continue }
            feed(instance) { $0.connectionLeak(message: verdict.message, now: $1, context: context) }
        }
    }

    /// A worker got a new process: its connection series start over in every collector.
    func workerSpawned(_ instance: Instance) {
        guard instance.program.collector == nil else { return }
        let quiet = instance.program.restartLoop.quietSeconds
        for (name, result) in plugins.workerRestarted(instance.name, quietSeconds: quiet) { apply(result, collector: name) }
    }

    /// After a reload: thresholds of kept collectors are replaced; removed collectors' alerts resolve.
    func syncTrackers(with collectors: [CollectorConfiguration]) {
        for (name, result) in plugins.sync(with: collectors) { apply(result, collector: name) }
    }

    // MARK: Control API

    public func pools() async -> PoolList { plugins.pools }

    public func alerts() async -> AlertList { AlertList(trackers: plugins.trackerList, processes: processAlerts) }
}
