import WardenCore
import WardenConfig
import WardenLinux

/// One supervised process instance (`api` or `api:0`): its `WorkerStateMachine`, which makes every decision,
/// and the OS handles the runtime needs to act on them.
///
/// Owned by the `Supervisor` actor and never shared outside it (a class so that the actor mutates it in place).
final class Instance {
    let name: String
    let index: Int
    var program: ProgramConfiguration
    var machine: WorkerStateMachine

    /// Main pid while a process exists.
    var pid: Int32?
    /// pidfd of the main process: signals go through it so a reused pid is never signalled.
    var pidfd: PIDFD?
    /// `starttime` of the main process (clock ticks since boot, /proc/PID/stat field 22), to tell a reused
    /// pid from ours.
    var startTicks: UInt64?
    /// Soft RLIMIT_NOFILE of the main process, read when it became the main process.
    var maxFDs: UInt64?
    /// Session id of the current tree: the pid spawned by Warden (setsid), kept when `MAINPID=` moves the
    /// main pid.
    var sessionID: Int32?
    /// Wall-clock and monotonic time of the current process's spawn.
    var startedAt: WallClockTime?
    var startedAtMonotonic: Duration?
    /// Spawns so far; a plugin conversation is tagged with it.
    var spawns = 0
    /// A `MAINPID=` naming a child of the current main process, applied when that main process exits and
    /// the child is reparented to Warden (the classic fork-and-exit daemon), pid → starttime.
    var pendingMainPID: (pid: Int32, startTime: UInt64)?
    /// The last `MAINPID=` refusal recorded, so a loop of them is one event.
    var lastMainPIDRefusal: String?
    /// Every process seen in the tree at the last sample, pid → starttime.
    var knownTree: [Int32: UInt64] = [:]
    /// During STOPPING: the processes that must be gone before the stop completes, pid → starttime.
    var stopMembers: [Int32: UInt64] = [:]
    /// Every process the stop in progress has seen in the tree (main first), and those sent SIGKILL.
    var stopping: StopReport?
    /// What the last completed stop ended.
    var lastStop: StopReport?
    /// Whether `lastStop` still has to go into the transition out of STOPPING.
    var stopReportPending = false
    /// Timer task for the machine's deadline, and the deadline it sleeps until.
    var timer: Task<Void, Never>?
    var timerDeadline: Duration?
    /// For a collector plugin instance (`collector:NAME`): the conversation with its current process, and
    /// the one with a process that exited, kept until its stdout reaches EOF (a last `error` line).
    var plugin: PluginLink?
    var exitedPlugin: PluginLink?

    init(name: String, index: Int, program: ProgramConfiguration) {
        self.name = name
        self.index = index
        self.program = program
        self.machine = WorkerStateMachine(settings: program.machineSettings, detector: program.leak.detectorConfiguration,
                                          leakResponse: program.leak.response)
    }

    /// What `TreeIndex.members` needs to find this instance's tree: the main process, and every process
    /// seen in the tree (by the sampler, or when a stop began).
    var tree: (name: String, root: Int32?, rootStart: UInt64?, known: [Int32: UInt64]) {
        (name, pid, startTicks, knownTree.merging(stopMembers, uniquingKeysWith: { a, _ in a }))
    }

    /// Applies `program`'s settings to this instance (machine and detector included).
    func adopt(_ program: ProgramConfiguration) {
        self.program = program
        machine.update(settings: program.machineSettings, detector: program.leak.detectorConfiguration,
                       leakResponse: program.leak.response)
    }
}

/// A wall-clock instant, seconds since the Unix epoch (for `started_at` and event times only; every
/// decision uses the monotonic clock).
struct WallClockTime: Equatable {
    var secondsSinceEpoch: Double
}

extension ProgramConfiguration {
    /// The state machine's view of this program's settings.
    var machineSettings: ProcessStateMachine.Settings {
        .init(restart: restart, startSeconds: startSeconds, startRetries: startRetries,
              backoff: Backoff(initial: backoff, maximum: backoffMax), stopSignal: stopSignal.number,
              stopTimeout: stopTimeout, readiness: ready, startTimeout: startTimeout, watchdog: watchdog,
              startLimitBurst: startLimitBurst, startLimitInterval: startLimitInterval)
    }
}

extension LeakSettings {
    /// The detector's view of these settings.
    var detectorConfiguration: LeakDetectorConfiguration {
        LeakDetectorConfiguration(
            window: window, sustain: sustain,
            thresholds: LeakThresholds(low: low, medium: medium, high: high, critical: critical),
            rssMaxBytes: rssMax?.bytes, fdsMax: fdsMax, threadsMax: threadsMax)
    }

    /// The worker machine's view of the responses.
    var response: WorkerStateMachine.LeakResponse {
        .init(restartOnCritical: onCritical == .restart, cleanupSignal: cleanupSignal,
              restartOnConnectionLeak: connectionLeak == .restart)
    }
}

/// What one stop of an instance ended: every process of the tree seen while it stopped (the main process
/// first), and those that needed SIGKILL. Reported in the STOPPED transition's message, the log and
/// `last_stop_pids`.
struct StopReport {
    var ended: [Int32] = []
    var killed: Set<Int32> = []

    mutating func saw(_ pids: some Sequence<Int32>) {
        for pid in pids where !ended.contains(pid) { ended.append(pid) }
    }

    /// `ended pids [12, 13]` or `ended pids [12, 13] (SIGKILL to [13])`.
    var text: String {
        let forced = ended.filter { killed.contains($0) }
        return "ended pids \(ended)" + (forced.isEmpty ? "" : " (SIGKILL to \(forced))")
    }
}
