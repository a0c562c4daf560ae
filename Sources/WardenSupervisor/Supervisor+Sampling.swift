import WardenCore
import WardenLinux

/// One sampled instance: the main process and the totals over its tree.
struct InstanceSample: Sendable {
    var name: String
    var pid: Int32
    var at: Duration
    var main: ProcessSample?
    var rssBytes: UInt64 = 0
    var fds = 0
    var threads = 0
    /// CPU time of the tree, clock ticks; read on full rounds only (see `Sampler`), nil on the others.
    var cpuTicks: UInt64?
    var members: [Int32: UInt64] = [:]
}

/// What the sampler needs to know about one instance, copied out of the actor.
struct SamplingTarget: Sendable {
    var name: String
    var pid: Int32
    var startTicks: UInt64?
    var known: [Int32: UInt64]
}

/// Sampling: every `sample_interval`, read /proc for every process tree, feed the leak detectors and act
/// on their verdicts.
extension Supervisor {
    /// The sampling loop. It runs off the actor (on the global concurrent executor) and owns the `Sampler`
    /// and its caches; it visits the actor twice per round, to copy out the targets and to apply the samples.
    @concurrent
    nonisolated func samplingLoop() async {
        let sampler = Sampler(wardenPID: wardenPID)
        var next = clock.now
        while !Task.isCancelled {
            let round = await samplingRound()
            next = next.advanced(by: round.interval)
            // The round runs to its end on this thread (no suspension point), so the thread's CPU clock
            // measures exactly its cost.
            let cpuBefore = ThreadCPUClock.now()
            let samples = sampler.sample(round.targets, at: round.at)
            let cost = ThreadCPUClock.now() - cpuBefore
            await apply(samples, cost: cost, processesRead: sampler.lastProcessesRead)
            if next < clock.now { next = clock.now }   // fell behind: do not burst
            try? await clock.sleep(until: next, tolerance: .milliseconds(5))
        }
    }

    /// What one sampling round needs from the actor: the interval, the instances to sample, and the time.
    private func samplingRound() -> (interval: Duration, targets: [SamplingTarget], at: Duration) {
        (configuration.supervisor.sampleInterval, samplingTargets(), now())
    }

    private func samplingTargets() -> [SamplingTarget] {
        order.compactMap { name in
            guard let instance = instances[name], let pid = instance.pid,
                  instance.machine.state == .running || instance.machine.state == .starting
            else { return nil }
            return SamplingTarget(name: name, pid: pid, startTicks: instance.startTicks, known: instance.knownTree)
        }
    }

    private func apply(_ samples: [InstanceSample], cost: Duration, processesRead: Int) {
        samplingCounters.rounds += 1
        samplingCounters.processesRead += processesRead
        samplingCounters.cpuSeconds += cost.seconds
        for sample in samples {
            guard let instance = instances[sample.name], instance.pid == sample.pid, let main = sample.main else { continue }
            instance.mainSample = main
            instance.knownTree = sample.members
            instance.tree = TreeTotals(rssBytes: sample.rssBytes, fds: sample.fds, threads: sample.threads,
                                       cpuTicks: sample.cpuTicks ?? instance.tree.cpuTicks,
                                       processes: sample.members.count)
            if let ticks = sample.cpuTicks {
                // CPU % over the time since the previous full round (ticks are read on full rounds only).
                if let previous = previousCPU[sample.name], sample.at > previous.at, ticks >= previous.ticks {
                    let seconds = Double(ticks - previous.ticks) / Double(ProcReader.clockTicksPerSecond)
                    instance.cpuPercent = (seconds / (sample.at - previous.at).seconds * 1000).rounded() / 10
                }
                previousCPU[sample.name] = (ticks, sample.at)
            }
            let verdict = instance.detector.observe(ResourceSample(
                time: sample.at, rssBytes: sample.rssBytes, fds: sample.fds, threads: sample.threads),
                sharing: &leakScratch)
            instance.verdict = verdict
            judge(verdict, of: instance)
        }
    }

    /// Records severity changes and acts on a verdict that demands action.
    private func judge(_ verdict: LeakVerdict, of instance: Instance) {
        let severity = verdict.warmingUp ? "warming-up" : verdict.severity.rawValue
        let leak = instance.program.leak
        if severity != instance.lastSeverity {
            let old = instance.lastSeverity
            instance.lastSeverity = severity
            record(WardenEvent(time: RFC3339.now().0, process: instance.name, event: .severityChange,
                               oldSeverity: old, newSeverity: severity, reason: "memory-growth",
                               pid: instance.pid, evidence: evidence(instance, verdict)))
            if !verdict.warmingUp, verdict.severity >= .high {
                logger.warning("\(instance.name): memory growth \(severity)",
                               metadata: ["rss_growth_mb_per_min": "\(verdict.rssGrowthMBPerMinute ?? 0)",
                                          "process": "\(instance.name)", "event": "severity-change"])
            }
            if verdict.severity < .critical { instance.alerted = false }
            // Once per process, when growth first reaches high (or jumps straight to critical).
            if let cleanup = leak.cleanupSignal, !instance.cleanupSent, verdict.severity >= .high,
               !verdict.warmingUp, let pidfd = instance.pidfd {
                instance.cleanupSent = true
                _ = try? pidfd.signal(cleanup.number)
                record(WardenEvent(time: RFC3339.now().0, process: instance.name, event: .cleanupSignal,
                                   reason: severity, pid: instance.pid, evidence: evidence(instance, verdict),
                                   message: "sent \(cleanup) at severity \(severity)"))
            }
        }
        guard let action = verdict.action, instance.machine.state == .running, !instance.leakRestartInProgress,
              !shuttingDown
        else { return }
        if leak.onCritical == .alert {
            guard !instance.alerted else { return }
            instance.alerted = true
            record(WardenEvent(time: RFC3339.now().0, process: instance.name, event: .leakAlert,
                               reason: action.rawValue, pid: instance.pid, evidence: evidence(instance, verdict),
                               message: "on_critical = alert: not restarting"))
            logger.warning("\(instance.name): \(action.rawValue) critical (alert only)",
                           metadata: ["process": "\(instance.name)", "event": "leak-alert"])
            return
        }
        let siblings = order.compactMap { instances[$0] }.filter { $0.program.name == instance.program.name }
        guard !siblings.contains(where: \.leakRestartInProgress) else { return }   // one at a time per program
        instance.leakRestartInProgress = true
        record(WardenEvent(time: RFC3339.now().0, process: instance.name, event: .leakRestart,
                           reason: action.rawValue, pid: instance.pid, evidence: evidence(instance, verdict),
                           message: restartMessage(action, verdict, instance)))
        logger.warning("\(instance.name): restarting, \(restartMessage(action, verdict, instance))",
                       metadata: ["process": "\(instance.name)", "event": "leak-restart"])
        feed(instance) { $0.restart(now: $1, reason: action.rawValue) }
    }

    private func restartMessage(_ reason: RestartReason, _ verdict: LeakVerdict, _ instance: Instance) -> String {
        switch reason {
        case .memoryGrowth:
            let rate = verdict.rssGrowthMBPerMinute.map { String(format1: $0) } ?? "?"
            return "RSS growing \(rate) MB/min over \(Int(verdict.windowSeconds)) s (critical \(instance.program.leak.critical) MB/min)"
        case .rssMax:
            return "tree RSS \(ByteSize(bytes: instance.tree.rssBytes)) above rss_max \(instance.program.leak.rssMax.map { "\($0)" } ?? "?")"
        case .fdsMax:
            return "\(instance.tree.fds) open fds above fds_max \(instance.program.leak.fdsMax ?? 0)"
        case .threadsMax:
            return "\(instance.tree.threads) threads above threads_max \(instance.program.leak.threadsMax ?? 0)"
        default:
            return reason.rawValue
        }
    }

    func evidence(_ instance: Instance, _ verdict: LeakVerdict?) -> WardenEvent.Evidence {
        WardenEvent.Evidence(
            rssBytes: instance.mainSample?.rssBytes, treeRSSBytes: instance.tree.rssBytes,
            rssGrowthMBPerMin: verdict?.rssGrowthMBPerMinute, fds: instance.tree.fds,
            fdGrowthPerMin: verdict?.fdGrowthPerMinute, threads: instance.tree.threads,
            threadGrowthPerMin: verdict?.threadGrowthPerMinute, windowSeconds: verdict?.windowSeconds,
            samples: verdict?.samples)
    }
}

extension String {
    /// `12.3`-style formatting with one decimal, without Foundation's format strings.
    init(format1 value: Double) {
        let scaled = (value * 10).rounded() / 10
        self = "\(scaled)"
    }
}
