// Thin wrappers over Glibc: line output, monotonic time, resident memory, self-spawning, reaping.

internal import Glibc

// MARK: - Output

/// Writes `line` plus a newline to stdout with one write(2) call.
///
/// stdio is bypassed on purpose: stdout is usually a pipe to the supervisor, so stdio would buffer it,
/// and Swift 6 rejects touching the C `stdout` global (for setvbuf/fflush) as shared mutable state.
/// A single write per line is unbuffered, and atomic for lines up to PIPE_BUF bytes.
func emit(_ line: String) {
    writeAll(STDOUT_FILENO, line + "\n")
}

/// Like `emit`, to stderr.
func emitError(_ line: String) {
    writeAll(STDERR_FILENO, line + "\n")
}

func writeAll(_ fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { buffer in
        guard var cursor = buffer.baseAddress else { return }
        var remaining = buffer.count
        while remaining > 0 {
            let written = write(fd, cursor, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                return  // Nowhere left to report to.
            }
            cursor += written
            remaining -= written
        }
    }
}

/// Reports an unexpected system failure and exits with EX_OSERR (71).
/// Pass `errno` captured right after the failing call: building `message` may clobber it.
func fail(_ message: String, errorNumber: Int32) -> Never {
    emitError("warden-workload: \(message): \(String(cString: strerror(errorNumber)))")
    exit(71)
}

// MARK: - Time

/// Seconds on the monotonic clock.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Sleeps until the monotonic clock reads `deadline` (an absolute deadline, so loops do not drift).
func sleep(until deadline: Double) {
    guard deadline > 0 else { return }
    let whole = deadline.rounded(.down)
    var ts = timespec(tv_sec: Int(whole), tv_nsec: Int((deadline - whole) * 1e9))
    while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
}

func sleep(seconds: Double) {
    sleep(until: now() + seconds)
}

/// Blocks forever. Signals with default dispositions still terminate the process.
func idleForever() -> Never {
    while true {
        pause()
    }
}

/// Blocks forever, reaping exited children so they do not linger as zombies.
func idleForeverReaping() -> Never {
    while true {
        reapChildren()
        sleep(seconds: 0.25)
    }
}

func reapChildren() {
    var status: Int32 = 0
    while true {
        let pid = waitpid(-1, &status, WNOHANG)
        if pid <= 0 { return }
        // WIFEXITED / WEXITSTATUS / WTERMSIG are C macros, so decode the wait status by hand.
        let signal = status & 0x7F
        emit(signal == 0 ? "reaped pid=\(pid) exit=\((status >> 8) & 0xFF)" : "reaped pid=\(pid) signal=\(signal)")
    }
}

// MARK: - Resident memory

let mebibyte = 1 << 20

/// Allocates anonymous memory and writes to every byte it hands out, so it really counts towards RSS.
///
/// Memory is reserved with mmap in chunks and touched progressively; `release()` unmaps it so RSS drops.
/// Transparent huge pages are disabled on the chunks so RSS tracks exactly what was touched.
final class ResidentMemory {
    private var chunks: [(base: UnsafeMutableRawPointer, size: Int)] = []
    private var usedInLastChunk = 0
    private let chunkSize: Int
    /// Bytes touched so far.
    private(set) var residentBytes = 0

    init(chunkSize: Int = 64 * mebibyte) {
        self.chunkSize = max(pageSize(), roundUpToPage(chunkSize))
    }

    /// Touches memory until `residentBytes >= target`.
    func grow(to target: Int) {
        while residentBytes < target {
            if chunks.isEmpty || usedInLastChunk == chunks[chunks.count - 1].size {
                mapChunk()
            }
            let chunk = chunks[chunks.count - 1]
            let count = min(target - residentBytes, chunk.size - usedInLastChunk)
            memset(chunk.base + usedInLastChunk, 0x5A, count)
            usedInLastChunk += count
            residentBytes += count
        }
    }

    /// Unmaps everything; RSS drops right away.
    func release() {
        for chunk in chunks {
            munmap(chunk.base, chunk.size)
        }
        chunks.removeAll()
        usedInLastChunk = 0
        residentBytes = 0
    }

    private func mapChunk() {
        let size = chunkSize
        let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let base, base != UnsafeMutableRawPointer(bitPattern: -1) else {
            let error = errno
            fail("mmap of \(size) bytes failed", errorNumber: error)
        }
        _ = madvise(base, size, MADV_NOHUGEPAGE)
        chunks.append((base, size))
        usedInLastChunk = 0
    }
}

func pageSize() -> Int {
    Int(sysconf(Int32(_SC_PAGESIZE)))
}

func roundUpToPage(_ bytes: Int) -> Int {
    let page = pageSize()
    return (bytes + page - 1) / page * page
}

/// Touches memory linearly from the current size up to `targetBytes` over `seconds`, in `tick` steps.
func ramp(_ memory: ResidentMemory, to targetBytes: Int, over seconds: Double, tick: Double = 0.1) {
    let startBytes = memory.residentBytes
    let start = now()
    var step = 0
    while true {
        let fraction = seconds > 0 ? min(1, (now() - start) / seconds) : 1
        memory.grow(to: startBytes + Int(Double(targetBytes - startBytes) * fraction))
        if fraction >= 1 { return }
        step += 1
        sleep(until: min(start + Double(step) * tick, start + seconds))
    }
}

// MARK: - Spawning ourselves

/// glibc's POSIX_SPAWN_SETSID (0x80): the child calls setsid() before exec. It is a _GNU_SOURCE
/// constant, so Swift's Glibc module does not import it.
let spawnSetSID: Int32 = 0x80

/// Signals reset to their default action in spawned children (ignored dispositions would otherwise be
/// inherited across exec).
let resetSignals: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD]

/// Path of our own executable. The resolved path is preferred over `/proc/self/exe` so the child's
/// comm name is `warden-workload` rather than `exe`; `/proc/self/exe` is the fallback (e.g. when the
/// binary was replaced on disk while we run).
func ownExecutable() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &buffer, Int(PATH_MAX))
    guard length > 0 else { return "/proc/self/exe" }
    let path = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    if path.hasSuffix(" (deleted)") || access(path, X_OK) != 0 {
        return "/proc/self/exe"
    }
    return path
}

/// Starts `warden-workload <mode> <arguments...>` with posix_spawn (never fork).
///
/// - Parameters:
///   - newSession: POSIX_SPAWN_SETSID — the child leads a new session (and process group).
///   - newProcessGroup: POSIX_SPAWN_SETPGROUP with pgroup 0 — the child leads a new process group.
/// The child always starts with an empty signal mask and default dispositions for `resetSignals`.
func spawnSelf(
    argv0: String, mode: String, arguments: [String] = [], newSession: Bool = false, newProcessGroup: Bool = false
) -> pid_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }

    var flags = Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF)
    if newSession { flags |= spawnSetSID }
    if newProcessGroup {
        flags |= Int32(POSIX_SPAWN_SETPGROUP)
        posix_spawnattr_setpgroup(&attributes, 0)
    }
    posix_spawnattr_setflags(&attributes, Int16(flags))

    var emptyMask = sigset_t()
    sigemptyset(&emptyMask)
    posix_spawnattr_setsigmask(&attributes, &emptyMask)

    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in resetSignals { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)

    let executable = ownExecutable()
    var argv: [UnsafeMutablePointer<CChar>?] = ([argv0, mode] + arguments).map { strdup($0) }
    argv.append(nil)
    defer { for pointer in argv { free(pointer) } }

    var pid: pid_t = 0
    let result = posix_spawn(&pid, executable, nil, &attributes, argv, environ)
    guard result == 0 else {
        fail("posix_spawn of \(executable) \(mode) failed", errorNumber: result)
    }
    return pid
}
