import CWarden
import Glibc
import Synchronization

/// Everything needed to start one worker process.
public struct SpawnRequest: Sendable, Equatable {
    /// Absolute path of the executable (see `ExecutableResolver`). A relative path would be resolved after
    /// the chdir to `directory`.
    public var executablePath: String
    /// The complete argv, `arguments[0]` included (conventionally the program name). Must not be empty.
    public var arguments: [String]
    /// The child's exact environment; nothing of Warden's own environment is added.
    public var environment: [String: String]
    /// Working directory of the child, or nil to keep Warden's.
    public var directory: String?
    /// The descriptor the child gets as its fd 1 (typically `OutputCapture.makePipe`'s write end).
    public var stdoutFD: Int32
    /// The descriptor the child gets as its fd 2. May equal `stdoutFD`.
    public var stderrFD: Int32
    /// The descriptor the child gets as its fd 0 (a plugin's command channel), or `nil` for /dev/null.
    public var stdinFD: Int32?

    /// Creates a request; see the properties for the meaning of each field.
    public init(
        executablePath: String, arguments: [String], environment: [String: String], directory: String? = nil,
        stdoutFD: Int32, stderrFD: Int32, stdinFD: Int32? = nil
    ) {
        self.stdinFD = stdinFD
        self.executablePath = executablePath
        self.arguments = arguments
        self.environment = environment
        self.directory = directory
        self.stdoutFD = stdoutFD
        self.stderrFD = stderrFD
    }
}

/// A process started by `Spawner`.
public struct SpawnedProcess: Sendable {
    /// The child's pid; also its process group id and session id (it was started with setsid).
    public let pid: Int32
    /// A pidfd for the child, or nil when pidfd_open failed: EMFILE, ENOSYS before Linux 5.3, or ESRCH if
    /// something other than `ChildReaper` reaped the child already. It is opened before `ChildReaper` can
    /// reap the child (see `Spawner.spawn`), so it always refers to this child, even one that has exited.
    public let pidfd: PIDFD?

    public init(pid: Int32, pidfd: PIDFD?) {
        self.pid = pid
        self.pidfd = pidfd
    }
}

/// Starts worker processes with posix_spawn(3): no fork of the (multi-threaded) Warden process, and exec
/// errors are reported synchronously (glibc spawns with CLONE_VFORK, about 0.3 ms).
public enum Spawner {
    /// Spawns `request` as the leader of a new session and process group.
    ///
    /// The child gets:
    /// - stdin from `/dev/null`, stdout and stderr from `request.stdoutFD` / `stderrFD`, and **no other
    ///   descriptor** (every fd ≥ 3 is closed, O_CLOEXEC or not);
    /// - a new session (POSIX_SPAWN_SETSID): pgid == sid == pid, no controlling terminal, so a group signal
    ///   to it never reaches Warden;
    /// - an empty signal mask and every signal at its default action (POSIX_SPAWN_SETSIGMASK and
    ///   SETSIGDEF, glibc's internal signals 32 and 33 included): otherwise it would inherit the calling
    ///   thread's blocked signals (Dispatch blocks most signals in its threads), Warden's ignored SIGPIPE,
    ///   and glibc's SIG_IGN for 32/33 (which non-glibc programs would keep);
    /// - `request.environment` exactly, and `request.directory` as working directory.
    ///
    /// Blocks the calling thread only until the child has exec'ed (the vfork window), so it may be called
    /// from an actor. Call it on the actor that consumes `ChildReaper.start()`'s stream and record the pid
    /// before that actor handles its next reaped child; then an instant exit is never missed.
    /// - Throws: `SystemCallError` with `call` = `posix_spawn <path>` and the error of the failed step:
    ///   ENOENT/EACCES/ENOEXEC from exec, ENOENT/ENOTDIR from the chdir, EAGAIN/ENOMEM from clone; EINVAL
    ///   for an empty argv, a string containing NUL, fd 0 as an output, or swapped stdout/stderr (1 and 2).
    ///   Nothing is left running when it throws.
    public static func spawn(_ request: SpawnRequest) throws(SystemCallError) -> SpawnedProcess {
        let call = "posix_spawn \(request.executablePath)"
        let (out, err) = (request.stdoutFD, request.stderrFD)
        guard !request.arguments.isEmpty, out > 0, err > 0, !(out == 2 && err == 1),
            let argv = CStringArray(request.arguments),
            let envp = CStringArray(request.environment.map { "\($0.key)=\($0.value)" }.sorted()),
            // [0] the executable, [1] the working directory if any
            let paths = CStringArray([request.executablePath] + (request.directory.map { [$0] } ?? []))
        else { throw SystemCallError(call, errno: EINVAL) }

        let actions = UnsafeMutablePointer<posix_spawn_file_actions_t>.allocate(capacity: 1)
        let attributes = UnsafeMutablePointer<posix_spawnattr_t>.allocate(capacity: 1)
        posix_spawn_file_actions_init(actions)
        posix_spawnattr_init(attributes)
        defer {
            posix_spawn_file_actions_destroy(actions)
            posix_spawnattr_destroy(attributes)
            actions.deallocate()
            attributes.deallocate()
        }

        // dup2 order matters only when a source is itself 1 or 2 (passing Warden's own stdio through): if
        // stderr's source is the current fd 1, copy it to 2 before fd 1 is replaced. (A dup2 onto the same
        // number clears FD_CLOEXEC in glibc ≥ 2.29, as POSIX requires.)
        let dups = err == 1 ? [(err, Int32(2)), (out, Int32(1))] : [(out, Int32(1)), (err, Int32(2))]
        // The stdin source is a fresh pipe end (>= 3), so dup2 onto 0 cannot clobber another source.
        var rc = request.stdinFD.map { posix_spawn_file_actions_adddup2(actions, $0, 0) }
            ?? posix_spawn_file_actions_addopen(actions, 0, "/dev/null", O_RDONLY, 0)
        for (source, target) in dups where rc == 0 {
            rc = posix_spawn_file_actions_adddup2(actions, source, target)
        }
        if rc == 0 { rc = cw_spawn_addclosefrom(actions, 3) }
        if rc == 0, request.directory != nil { rc = cw_spawn_addchdir(actions, paths.pointers[1]!) }
        var signals = sigset_t()
        cw_sigemptyset(&signals)
        if rc == 0 { rc = posix_spawnattr_setsigmask(attributes, &signals) }
        cw_spawn_sigdefault_all(&signals)
        if rc == 0 { rc = posix_spawnattr_setsigdefault(attributes, &signals) }
        let flags = cw_spawn_flag_setsid() | Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF)
        if rc == 0 { rc = posix_spawnattr_setflags(attributes, Int16(flags)) }
        guard rc == 0 else { throw SystemCallError(call, errno: rc) }

        // Spawn and open the pidfd while holding the reap gate, so that ChildReaper cannot reap the child in
        // between: a reaped pid may be reused at once, and pidfd_open would then name a stranger. Holding
        // it also keeps the reaper away from the child that glibc itself waits for when exec fails.
        var pid: pid_t = 0
        let (spawnError, pidfd) = ReapGate.lock.withLock { _ -> (Int32, Int32) in
            let rc = posix_spawn(&pid, paths.pointers[0]!, actions, attributes, argv.pointers, envp.pointers)
            return rc == 0 ? (0, cw_pidfd_open(pid)) : (rc, -1)
        }
        guard spawnError == 0 else { throw SystemCallError(call, errno: spawnError) }
        return SpawnedProcess(pid: pid, pidfd: pidfd >= 0 ? PIDFD(adopting: pidfd) : nil)
    }
}

/// Serializes reaping with spawning. `ChildReaper` holds the lock around each `waitpid`, `Spawner` around
/// `posix_spawn` + `pidfd_open`. Both critical sections are short: a WNOHANG wait, or a spawn that waits
/// only for its child's exec (about 0.3 ms).
enum ReapGate {
    static let lock = Mutex<Void>(())
}

/// A NULL-terminated array of NUL-terminated C strings (argv, envp), freed on deinit.
struct CStringArray: ~Copyable {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    /// Copies `strings`; nil if one contains a NUL byte (it would be silently truncated).
    init?(_ strings: [String]) {
        guard !strings.contains(where: { $0.utf8.contains(0) }) else { return nil }
        count = strings.count
        pointers = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() {
            let bytes = UnsafeMutablePointer<CChar>.allocate(capacity: string.utf8.count + 1)
            for (offset, byte) in string.utf8.enumerated() { bytes[offset] = CChar(bitPattern: byte) }
            bytes[string.utf8.count] = 0
            pointers[index] = bytes
        }
        pointers[strings.count] = nil
    }

    deinit {
        for index in 0..<count { pointers[index]?.deallocate() }
        pointers.deallocate()
    }
}
