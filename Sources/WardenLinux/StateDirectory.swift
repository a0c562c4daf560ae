import Glibc

/// `state_dir` and what Warden creates in it: making the directories, refusing a directory someone else
/// could plant files in, and opening files without following symbolic links.
///
/// Why both checks: a state directory owned by another user, or writable by group or others, lets that
/// user put a symbolic link where Warden writes (`logs/NAME.out.log` → a root-owned file) or a socket
/// where Warden listens. Refusing such a directory closes that; `openFile` (`openat` + `O_NOFOLLOW` on a
/// directory descriptor) is the second line, for links planted before the mode was fixed.
public enum StateDirectory {
    /// Creates `state` and `state/logs` where missing, mode 0700: the control socket inside is then never
    /// reachable by others, even between bind and chmod. An existing directory keeps its mode.
    /// - Returns: the directories created, and the first one that could neither be created nor found
    ///   (with its errno).
    public static func create(_ state: String) -> (created: [String], failure: (directory: String, errno: Int32)?) {
        var created: [String] = []
        for dir in [state, state + "/logs", state + "/workers"] {
            if mkdir(dir, 0o700) == 0 {
                created.append(dir)
            } else if errno != EEXIST {
                return (created, (dir, errno))
            }
        }
        return (created, nil)
    }

    /// Why `directory` must not be used, or `nil` when it is a directory owned by Warden's effective uid
    /// and writable by nobody else. Checks the directory a symbolic link at `directory` leads to (its
    /// target is what Warden writes into).
    public static func problem(_ directory: String) -> String? {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            return "cannot use state_dir \(directory): \(String(cString: strerror(errno)))"
        }
        let mode = "0" + String(info.st_mode & 0o7777, radix: 8)
        guard info.st_mode & S_IFMT == S_IFDIR else {
            return "state_dir \(directory) is not a directory"
        }
        if info.st_uid != geteuid() {
            return "state_dir \(directory) is owned by uid \(info.st_uid), not by Warden's uid \(geteuid()) (mode \(mode)): refusing to use it; use a directory of your own"
        }
        if info.st_mode & 0o022 != 0 {
            return "state_dir \(directory) is writable by group or others (mode \(mode)): refusing to use it; chmod 700 \(directory)"
        }
        return nil
    }

    /// Opens `path` like `open(2)` with `flags | O_NOFOLLOW | O_CLOEXEC`, through a descriptor of its
    /// directory opened with `O_NOFOLLOW` too: neither the file nor its directory's last component may be
    /// a symbolic link (ELOOP, or ENOTDIR for the directory).
    /// - Returns: the descriptor, or -1 with errno set.
    public static func openFile(_ path: String, flags: Int32, mode: UInt32 = 0o600) -> Int32 {
        let (directory, name) = split(path)
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard directoryFD >= 0 else { return -1 }
        defer { let saved = errno; close(directoryFD); errno = saved }
        return openat(directoryFD, name, flags | O_NOFOLLOW | O_CLOEXEC, mode_t(mode))
    }

    /// `truncate(2)` that does not follow a symbolic link at `path` (it fails with ELOOP instead).
    public static func truncateFile(_ path: String) -> Bool {
        let fd = openFile(path, flags: O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return ftruncate(fd, 0) == 0
    }

    /// The directory and last component of `path` (`.` for a bare name).
    public static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}

/// An exclusive `flock(2)` on `STATE_DIR/warden.lock`, which holds the holder's pid: one Warden per state
/// directory. Taken before anything is spawned and held until the object is released (the kernel drops
/// it when Warden dies, even by SIGKILL). The descriptor is close-on-exec, so no worker inherits the lock.
public final class StateDirectoryLock: Sendable {
    /// `STATE_DIR/warden.lock`.
    public let path: String
    private let fd: Int32
    private let identity: (device: UInt64, inode: UInt64)

    /// Why the lock was not taken.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// Another process holds it; `pid` is what the file says (nil while the holder has not written it).
        case held(path: String, pid: Int32?)
        /// The lock file could not be opened or locked.
        case unusable(path: String, errno: Int32)

        public var description: String {
            switch self {
            case .held(let path, let pid):
                return "another warden (pid \(pid.map(String.init) ?? "unknown")) holds \(path): it runs on this state_dir; stop it first or use another state_dir"
            case .unusable(let path, let code):
                return "cannot lock \(path): \(String(cString: strerror(code)))"
            }
        }
    }

    /// Takes the lock in `stateDirectory` without waiting, and writes this process's pid into the file.
    /// - Throws: `Failure.held` naming the holder's pid when another process has it.
    public init(stateDirectory: String) throws(Failure) {
        let path = stateDirectory + "/warden.lock"
        let fd = StateDirectory.openFile(path, flags: O_RDWR | O_CREAT, mode: 0o600)
        guard fd >= 0 else { throw .unusable(path: path, errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            defer { close(fd) }
            guard code == EWOULDBLOCK else { throw .unusable(path: path, errno: code) }
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(fd, &buffer, buffer.count, 0)
            let text = count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
            throw .held(path: path, pid: Int32(text.prefix { $0.isNumber }))
        }
        let line = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, line, line.count, 0)
        var info = stat()
        _ = fstat(fd, &info)
        self.path = path
        self.fd = fd
        identity = (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    /// Whether the file at `path` is still the one locked (not removed with the state directory, nor
    /// replaced): when it is not, another Warden could take a new lock there.
    public var isCurrent: Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else { return false }
        return UInt64(info.st_dev) == identity.device && UInt64(info.st_ino) == identity.inode
    }

    deinit { close(fd) }
}
