import WardenAPI
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

/// The sampling loop's books on the actor: the detectors' shared work buffers, the cost counters of
/// `/v1/health`, and each instance's previous CPU reading (for `cpu_percent`).
struct SamplingBooks {
    /// Work buffers lent to every instance's leak detector in turn (one set instead of one per process).
    var scratch = LeakScratch()
    var counters = SamplingCounts()
    /// Rounds that started late, and the longest lateness (`late_rounds`, `max_late_seconds`).
    var punctuality = SamplingPunctuality()
    /// Tree CPU ticks and the monotonic time they were read, per instance.
    var previousCPU: [String: (ticks: UInt64, at: Duration, percent: Double?)] = [:]
    /// The response to host memory pressure (its policy follows `[supervisor]` on every round).
    var pressure = MemoryPressureGuard(policy: MemoryPressurePolicy())
    /// PSI was found missing and this was logged (once per Warden, again after it came back).
    var pressureMissingLogged = false

    /// CPU % of `sample`'s tree over the time since the previous full round (ticks come on full rounds
    /// only; between them the last percentage stands).
    mutating func cpuPercent(of sample: InstanceSample) -> Double? {
        let previous = previousCPU[sample.name]
        guard let ticks = sample.cpuTicks else { return previous?.percent }
        var percent = previous?.percent
        if let previous, sample.at > previous.at, ticks >= previous.ticks {
            let seconds = Double(ticks - previous.ticks) / Double(ProcReader.clockTicksPerSecond)
            percent = (seconds / (sample.at - previous.at).seconds * 1000).rounded() / 10
        }
        previousCPU[sample.name] = (ticks, sample.at, percent)
        return percent
    }
}

/// Sampling: every `sample_interval`, read /proc for every process tree and feed each instance's machine.
extension Supervisor {
    /// The sampling loop. It runs off the actor and owns the `Sampler` and its caches; it visits the actor
    /// twice per round, to copy out the targets and to apply the samples.
    @concurrent
    nonisolated func samplingLoop() async {
        let sampler = Sampler(wardenPID: spawning.wardenPID)
        let hostMemory = HostMemoryReader()
        let clock = ContinuousClock()
        let origin = clock.now
        var wake = origin   // when the loop sleeps until, for the next round
        var due = origin    // when the next round is due: one interval after the last wake
        while !Task.isCancelled {
            let started = clock.now
            let round = await samplingRound()
            let timing = RoundTiming(due: origin.duration(to: due), started: origin.duration(to: started),
                                     interval: round.interval)
            due = wake.advanced(by: round.interval)
            // The round runs to its end on this thread (no suspension point), so the thread's CPU clock
            // measures exactly its cost.
            let cpuBefore = ThreadCPUClock.now()
            let samples = sampler.sample(round.targets, at: round.at)
            let cost = ThreadCPUClock.now() - cpuBefore
            let headroom = round.targets.isEmpty ? nil : hostMemory.headroomBytes()
            let pressure = round.pressureFile.flatMap { PressureReader(path: $0).read() }
            await apply(samples, cost: cost, processesRead: sampler.lastProcessesRead, headroom: headroom, timing: timing)
            await applyPressure(pressure, at: round.at)
            wake = max(due, clock.now)   // fell behind: do not burst (the next round then counts as late)
            try? await clock.sleep(until: wake, tolerance: .milliseconds(5))
        }
    }

    /// What one sampling round needs from the actor: the interval, the instances to sample, and the time.
    private func samplingRound() -> (interval: Duration, targets: [SamplingTarget], at: Duration, pressureFile: String?) {
        let targets = registry.all.compactMap { instance -> SamplingTarget? in
            guard let pid = instance.pid, instance.machine.state == .running || instance.machine.state == .starting
            else { return nil }
            return SamplingTarget(name: instance.name, pid: pid, startTicks: instance.startTicks, known: instance.knownTree)
        }
        let pressure = configuration.supervisor.memoryPressure
        return (configuration.supervisor.sampleInterval, targets, now(), pressure.enabled ? pressure.file : nil)
    }

    /// Host memory pressure, once per round after the samples: `MemoryPressureGuard` decides, the chosen
    /// worker (if any) is restarted gracefully (`memory-pressure`). `reading` is `nil` without PSI.
    private func applyPressure(_ reading: MemoryPressure?, at: Duration) {
        let policy = configuration.supervisor.memoryPressure
        if sampling.pressure.policy != policy { sampling.pressure.policy = policy }
        let decision = sampling.pressure.observe(
            reading, now: at,
            candidates: registry.all.compactMap { instance -> MemoryPressureGuard.Candidate? in
                instance.machine.pressureCandidate.map {
                    .init(name: instance.name, program: instance.program.name, severity: $0.severity, growing: $0.growing,
                          rateMBPerMinute: $0.rateMBPerMinute)
                }
            },
            restartingPrograms: Set(registry.all.filter { $0.machine.leakRestart != nil }.map(\.program.name)))
        if sampling.pressure.state == .unavailable, !sampling.pressureMissingLogged {
            sampling.pressureMissingLogged = true
            logger.notice("memory pressure: \(policy.file) cannot be read (no PSI on this kernel, or a container hides it); restarts under host memory pressure are off until it can")
        } else if sampling.pressure.last != nil {
            sampling.pressureMissingLogged = false
        }
        guard let decision, let instance = registry[decision.victim] else { return }
        let context = WorkerStateMachine.Context(shuttingDown: shutdown.begun)
        feed(instance) { machine, now in machine.memoryPressure(decision.evidence, now: now, context: context) }
        trackLeakCondition(of: instance)
    }

    /// When a round was due and started, monotonic time since the loop began, and the interval then.
    struct RoundTiming: Sendable {
        var due: Duration
        var started: Duration
        var interval: Duration
    }

    private func apply(_ samples: [InstanceSample], cost: Duration, processesRead: Int, headroom: UInt64?,
                       timing: RoundTiming) {
        sampling.counters.rounds += 1
        if sampling.punctuality.round(due: timing.due, started: timing.started, interval: timing.interval) {
            logger.warning("sampling round started \(DurationText.format(timing.started - timing.due)) late (sample_interval \(DurationText.format(timing.interval))): Warden was starved of CPU or stopped")
        }
        sampling.counters.lateRounds = sampling.punctuality.lateRounds
        sampling.counters.maxLateSeconds = (sampling.punctuality.maxLateSeconds * 1000).rounded() / 1000
        sampling.counters.processesRead += processesRead
        sampling.counters.cpuSeconds += cost.seconds
        var measurements: [ProcessMeasurement] = []
        let shuttingDown = shutdown.begun
        var restarting = Set(registry.all.filter { $0.machine.leakRestart != nil }.map(\.program.name))
        for sample in samples {
            guard let instance = registry[sample.name], instance.pid == sample.pid, let main = sample.main else { continue }
            instance.knownTree = sample.members
            let observation = Observation(
                mainRSSBytes: main.rssBytes, mainThreads: main.threads, mainFDs: main.fds,
                treeRSSBytes: sample.rssBytes, fds: sample.fds, threads: sample.threads,
                processes: sample.members.count, cpuPercent: sampling.cpuPercent(of: sample))
            let context = WorkerStateMachine.Context(programRestarting: restarting.contains(instance.program.name),
                                                     shuttingDown: shuttingDown, memoryHeadroomBytes: headroom)
            // Most samples change nothing: only those with actions pay for feed's bookkeeping (timers,
            // waiting control requests, retired instances), which would otherwise run per process per round.
            let actions = instance.machine.sampled(observation, now: sample.at, context: context, scratch: &sampling.scratch)
            if !actions.isEmpty { feed(instance) { _, _ in actions } }
            trackLeakCondition(of: instance)
            if instance.machine.leakRestart != nil { restarting.insert(instance.program.name) }
            measurements.append(ProcessMeasurement(
                process: instance.name, program: instance.program.name, pid: sample.pid, observation: observation,
                severity: instance.machine.severity,
                rssGrowthMBPerMinute: instance.machine.verdict?.rssGrowthMBPerMinute,
                cpuSeconds: sampling.previousCPU[instance.name].map { Double($0.ticks) / Double(ProcReader.clockTicksPerSecond) },
                startTimeSeconds: instance.startedAt?.secondsSinceEpoch, maxFDs: instance.maxFDs))
        }
        events.publish(.sampled(SampleRound(secondsSinceEpoch: RFC3339.now().1.secondsSinceEpoch, processes: measurements,
                                            samplingCPUSeconds: cost.seconds,
                                            lateRounds: sampling.punctuality.lateRounds)))
        resolveQuietAlerts()
        forgetFinishedWorkers()
        checkStateDirectory()
        reportLosses()
    }
}
