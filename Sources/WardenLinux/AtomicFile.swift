import Glibc
import Synchronization

/// Small owner-only files replaced atomically: written to `PATH.tmp` (mode 0600, no symbolic links
/// followed), fsync'd, then renamed over `PATH`, so a reader or a crash sees the old file or the new one.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically. Blocking: call it off the cooperative pool (`CoalescingFileWriter`).
    /// - Returns: 0, or the errno of the step that failed (the old file is then intact).
    public static func write(_ bytes: [UInt8], to path: String) -> Int32 {
        let temporary = path + ".tmp"
        let fd = StateDirectory.openFile(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
        guard fd >= 0 else { return errno }
        var failure: Int32 = 0
        if fchmod(fd, 0o600) != 0 { failure = errno }
        var offset = 0
        while failure == 0 && offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 { if errno != EINTR { failure = errno } } else { offset += written }
        }
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0 && rename(temporary, path) != 0 { failure = errno }
        if failure != 0 { unlink(temporary) }
        return failure
    }

    /// The contents of `path` when it is a regular file of at most `maxBytes`, not a symbolic link;
    /// `nil` when missing, larger, or unreadable. Blocking (meant for start-up).
    public static func read(_ path: String, maxBytes: Int) -> [UInt8]? {
        let fd = StateDirectory.openFile(path, flags: O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) <= maxBytes else { return nil }
        var bytes = [UInt8](repeating: 0, count: maxBytes + 1)
        var count = 0
        while count <= maxBytes {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if got < 0 { if errno == EINTR { continue }; return nil }
            if got == 0 { break }
            count += got
        }
        return count <= maxBytes ? Array(bytes[0..<count]) : nil
    }
}

/// Writes the newest of a series of snapshots of one file with `AtomicFile.write`, on a detached thread
/// (never the cooperative pool): `submit` returns at once; snapshots submitted while a write runs are
/// coalesced into one write of the last. Failures go to `onError` with the path and errno.
public final class CoalescingFileWriter: Sendable {
    public let path: String
    private let onError: @Sendable (String, Int32) -> Void
    private let state = Mutex<(pending: [UInt8]?, writing: Bool, written: Int)>((nil, false, 0))

    public init(path: String, onError: @escaping @Sendable (String, Int32) -> Void) {
        self.path = path; self.onError = onError
    }

    /// Queues `bytes` as the file's next contents.
    public func submit(_ bytes: [UInt8]) {
        let start = state.withLock { state -> Bool in
            state.pending = bytes
            guard !state.writing else { return false }
            state.writing = true
            return true
        }
        guard start else { return }
        let rc = DetachedThread.start { [self] in drain() }
        if rc != 0 {
            state.withLock { $0.writing = false }
            onError(path, rc)
        }
    }

    /// Writes completed so far (tests wait on it).
    public var writes: Int { state.withLock { $0.written } }

    private func drain() {
        while let bytes = state.withLock({ state -> [UInt8]? in
            defer { state.pending = nil }
            if state.pending == nil { state.writing = false }
            return state.pending
        }) {
            let rc = AtomicFile.write(bytes, to: path)
            if rc != 0 { onError(path, rc) }
            state.withLock { $0.written += 1 }
        }
    }
}
