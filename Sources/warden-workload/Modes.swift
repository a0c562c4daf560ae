// One function per mode. Each returns Never: it idles until killed, or exits itself.

internal import Glibc

/// Hard ceiling for every memory mode, for the safety of the machine running the tests.
let maximumMebibytes: Double = 4096

func bytes(mebibytes: Double) -> Int {
    Int(mebibytes * Double(mebibyte))
}

/// `100` rather than `100.0`, `0.5` stays `0.5`.
func format(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}

// MARK: - Memory shapes

func runSteady(_ context: Context) -> Never {
    let mebibytes = context.options.number("mb", default: 5, maximum: maximumMebibytes)
    context.announce()
    let size = bytes(mebibytes: mebibytes)
    let memory = ResidentMemory(chunkSize: max(size, 1))
    memory.grow(to: size)
    let start = now()
    var beat = 0
    while true {
        beat += 1
        sleep(until: start + Double(beat) * 5)
        emit("heartbeat \(beat)")
    }
}

func runLeak(_ context: Context) -> Never {
    let rate = context.options.number("mb-per-min", default: nil)
    let maxMebibytes = min(context.options.number("max-mb", default: maximumMebibytes), maximumMebibytes)
    context.announce()
    let capBytes = bytes(mebibytes: maxMebibytes)
    let memory = ResidentMemory(chunkSize: min(64 * mebibyte, capBytes))
    let start = now()
    var tick = 0
    // Every 100 ms top up to where the rate says we should be (time-based, so ticks never drift).
    while true {
        let elapsed = now() - start
        memory.grow(to: min(capBytes, Int(rate * Double(mebibyte) * elapsed / 60)))
        if memory.residentBytes >= capBytes {
            emit("leak reached max mb=\(format(maxMebibytes))")
            idleForever()
        }
        tick += 1
        sleep(until: start + Double(tick) * 0.1)
    }
}

func runPlateau(_ context: Context) -> Never {
    let mebibytes = context.options.number("mb", default: 100, maximum: maximumMebibytes)
    let seconds = context.options.number("seconds", default: 2)
    context.announce()
    let target = bytes(mebibytes: mebibytes)
    let memory = ResidentMemory(chunkSize: target)
    ramp(memory, to: target, over: seconds)
    emit("plateau reached mb=\(format(mebibytes))")
    idleForever()
}

/// RSS follows `M·(1 − e^(−t/τ))`: fast at first (`M/τ` MiB/s), then ever slower towards the plateau, as a
/// cache or JIT warming up does. Time-based, so the shape holds whatever the scheduling.
func runWarmup(_ context: Context) -> Never {
    let mebibytes = context.options.number("mb", default: 400, maximum: maximumMebibytes)
    let tau = context.options.number("tau", default: 180, minimum: 0.1)
    context.announce()
    let target = bytes(mebibytes: mebibytes)
    let memory = ResidentMemory(chunkSize: min(64 * mebibyte, max(target, 1)))
    let start = now()
    var tick = 0
    while true {
        let elapsed = now() - start
        memory.grow(to: Int(Double(target) * (1 - exp(-elapsed / tau))))
        tick += 1
        sleep(until: start + Double(tick) * 0.1)
    }
}

func runSawtooth(_ context: Context) -> Never {
    let mebibytes = context.options.number("mb", default: 50, maximum: maximumMebibytes)
    let period = context.options.number("period", default: 2, minimum: 0.1)
    context.announce()
    let target = bytes(mebibytes: mebibytes)
    let memory = ResidentMemory(chunkSize: target)
    let start = now()
    var cycle = 0
    while true {
        let cycleStart = start + Double(cycle) * period
        cycle += 1
        ramp(memory, to: target, over: period / 2, tick: min(0.1, period / 20))
        emit("sawtooth peak mb=\(format(mebibytes)) cycle=\(cycle)")
        memory.release()  // munmap: RSS drops immediately.
        sleep(until: cycleStart + period)
    }
}

func runStep(_ context: Context) -> Never {
    let mebibytes = context.options.number("mb", default: 80, maximum: maximumMebibytes)
    let after = context.options.number("after", default: 1)
    context.announce()
    sleep(seconds: after)
    let target = bytes(mebibytes: mebibytes)
    let memory = ResidentMemory(chunkSize: target)
    memory.grow(to: target)
    emit("step allocated mb=\(format(mebibytes))")
    idleForever()
}

// MARK: - Resource leaks

/// Calls `action` `perSecond` times per second (the first call right away), checking every 100 ms.
/// When `action` fails, idles forever keeping whatever it leaked so far.
func repeatAtRate(_ perSecond: Double, _ action: (Int) -> Bool) -> Never {
    let start = now()
    var done = 0
    var tick = 0
    while true {
        let due = Int(perSecond * (now() - start)) + 1
        while done < due {
            guard action(done) else { idleForever() }
            done += 1
        }
        tick += 1
        sleep(until: start + Double(tick) * 0.1)
    }
}

func runFDLeak(_ context: Context) -> Never {
    let perSecond = context.options.number("per-sec", default: 10, minimum: 0.001)
    context.announce()
    repeatAtRate(perSecond) { count in
        if open("/dev/null", O_RDONLY) >= 0 { return true }
        let error = errno
        emitError("fdleak: open /dev/null failed after \(count) opens: \(String(cString: strerror(error)))")
        return false
    }
}

/// Body of every leaked thread: sleep forever. A plain global function, so it is nonisolated and
/// usable as a C function pointer.
func sleeperThread(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    while true {
        pause()
    }
}

/// What `zombie-leader` holds: kept in a global so nothing frees it when the main thread ends.
nonisolated(unsafe) var zombieLeaderMemory: ResidentMemory?

func runZombieLeader(_ context: Context) -> Never {
    let mebibytes = context.options.number("mb", default: 50, maximum: maximumMebibytes)
    let fds = context.options.integer("fds", default: 30, maximum: 10_000)
    let threads = max(context.options.integer("threads", default: 4, maximum: 1000), 1)
    context.announce()
    let size = bytes(mebibytes: mebibytes)
    let memory = ResidentMemory(chunkSize: max(size, 1))
    memory.grow(to: size)
    zombieLeaderMemory = memory
    for _ in 0..<fds { _ = open("/dev/null", O_RDONLY) }
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    pthread_attr_setstacksize(&attributes, max(64 * 1024, Int(PTHREAD_STACK_MIN)))
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    for _ in 0..<threads {
        var thread = pthread_t()
        _ = pthread_create(&thread, &attributes, sleeperThread, nil)
    }
    emit("zombie-leader: main thread exiting, \(threads) threads live on")
    pthread_exit(nil)
}

func runThreadLeak(_ context: Context) -> Never {
    let perSecond = context.options.number("per-sec", default: 2, minimum: 0.001)
    context.announce()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    pthread_attr_setstacksize(&attributes, max(64 * 1024, Int(PTHREAD_STACK_MIN)))
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    repeatAtRate(perSecond) { count in
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, sleeperThread, nil)
        if result == 0 { return true }
        emitError("threadleak: pthread_create failed after \(count) threads: \(String(cString: strerror(result)))")
        return false
    }
}

// MARK: - Signals and process trees

func ignoreTermination() {
    signal(SIGTERM, SIG_IGN)
    signal(SIGINT, SIG_IGN)
}

func runStubborn(_ context: Context) -> Never {
    let ownGroup = context.options.flag("child-setpgid")
    ignoreTermination()
    context.announce()
    // With --child-setpgid the new group is also set at spawn time (POSIX_SPAWN_SETPGROUP), so the
    // child is out of our group before its pid is even printed; the child's own setpgid is then a no-op.
    let child = spawnSelf(
        argv0: context.argv0, mode: "stubborn-child", arguments: ownGroup ? ["--setpgid"] : [],
        newProcessGroup: ownGroup)
    emit("child pid=\(child)")
    idleForeverReaping()
}

func runStubbornChild(_ context: Context) -> Never {
    ignoreTermination()
    if context.options.flag("setpgid") {
        setpgid(0, 0)
    }
    idleForever()
}

func runCrash(_ context: Context) -> Never {
    let after = context.options.number("after", default: 0)
    let code = context.options.integer("code", default: 3, maximum: 255)
    context.announce()
    sleep(seconds: after)
    emitError("workload crash: exiting with code \(code) after \(format(after))s")
    exit(Int32(code))
}

func runDaemonize(_ context: Context) -> Never {
    let pidfile = context.options.text("pidfile")
    let exitParent = context.options.flag("exit-parent")
    context.announce()
    // The double-fork equivalent: the daemon leads a new session (POSIX_SPAWN_SETSID), and once this
    // parent exits it is orphaned and reparented to the nearest subreaper.
    _ = spawnSelf(
        argv0: context.argv0, mode: "daemon-child", arguments: pidfile.map { ["--pidfile", $0] } ?? [],
        newSession: true)
    if exitParent {
        exit(0)
    }
    idleForeverReaping()
}

func runDaemonChild(_ context: Context) -> Never {
    let pid = getpid()
    if let pidfile = context.options.text("pidfile") {
        writePidfile(pidfile, pid: pid)
    }
    emit("daemon pid=\(pid)")
    idleForever()
}

/// Writes `pid` to a temporary file and renames it into place, so readers never see a partial file.
func writePidfile(_ path: String, pid: pid_t) {
    let temporary = "\(path).tmp.\(pid)"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
        let error = errno
        fail("cannot create \(temporary)", errorNumber: error)
    }
    writeAll(fd, "\(pid)\n")
    close(fd)
    guard rename(temporary, path) == 0 else {
        let error = errno
        fail("cannot rename \(temporary) to \(path)", errorNumber: error)
    }
}

func runSpawnTree(_ context: Context) -> Never {
    let count = context.options.integer("children", default: 3, maximum: 1000)
    context.announce()
    for _ in 0..<count {
        let child = spawnSelf(argv0: context.argv0, mode: "sleep-child")
        emit("child pid=\(child)")
    }
    idleForeverReaping()
}

func runSleepChild(_ context: Context) -> Never {
    idleForever()
}

// MARK: - Introspection

func runEnv(_ context: Context) -> Never {
    context.announce()
    var variables: [String] = []
    var index = 0
    while let entry = environ[index] {
        variables.append(String(cString: entry))
        index += 1
    }
    for variable in variables.sorted() {
        emit(variable)
    }
    for fd in openFileDescriptors() {
        emit("fd \(fd)")
    }
    idleForever()
}

/// The entries of /proc/self/fd, without the descriptor used to read the directory itself.
func openFileDescriptors() -> [Int32] {
    guard let directory = opendir("/proc/self/fd") else {
        let error = errno
        fail("cannot open /proc/self/fd", errorNumber: error)
    }
    defer { closedir(directory) }
    let own = dirfd(directory)
    var fds: [Int32] = []
    while let entry = readdir(directory) {
        let name = withUnsafePointer(to: &entry.pointee.d_name) {
            String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
        }
        if let fd = Int32(name), fd != own {
            fds.append(fd)
        }
    }
    return fds.sorted()
}

func runTermLines(_ context: Context) -> Never {
    let count = context.options.integer("count", default: 10, maximum: 1_000_000)
    // Block SIGTERM before announcing, then take it synchronously with sigwait: no handler runs, so
    // nothing here needs to be async-signal-safe, and a SIGTERM sent right after the start line is
    // never lost.
    var terminate = sigset_t()
    sigemptyset(&terminate)
    sigaddset(&terminate, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &terminate, nil)
    context.announce()
    var received: Int32 = 0
    while sigwait(&terminate, &received) != 0 {}
    for line in stride(from: 1, through: count, by: 1) {
        emit("line \(line)")
    }
    exit(0)
}
