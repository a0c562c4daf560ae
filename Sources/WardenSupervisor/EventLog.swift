#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import WardenCore
import WardenLinux

/// Appends `WardenEvent`s to `STATE_DIR/events.jsonl`, one JSON object per line, rotated by size.
///
/// Owned by the event-log subscriber's task. Each event is written with one `write(2)` on an `O_APPEND`
/// descriptor, so a line is never interleaved with another writer's. When the file would grow past
/// `maxBytes`, it is renamed to `events.jsonl.1` (older ones shift to `.2` … `.backups`, the oldest is
/// removed) and a new file is opened: rotation happens between lines, never inside one.
///
/// The file stays valid JSON lines whatever the disk does: after a failed or short write (ENOSPC, EIO,
/// EFBIG) the file is cut back (`ftruncate`) to the end of the last whole line, so the next record starts
/// on a fresh line instead of being glued to a torn one. The event is lost and counted (`failedWrites`,
/// `lostBytes`), never thrown: supervision goes on when the disk is full. When the cut itself fails, the
/// next record is written after a newline, which ends the torn fragment as a line of its own.
final class EventLog {
    private let path: String
    /// The open descriptor, or -1 after a failed open (retried at the next event).
    private var fd: Int32
    /// The file's size up to the end of its last whole line, bytes.
    private var size: UInt64
    /// Whether the file may end inside a line (a torn write that could not be cut back).
    private var torn = false
    private let encoder: JSONEncoder
    /// Size that triggers a rotation, bytes (`log_max_bytes`); 0 never rotates.
    var maxBytes: UInt64
    /// Rotated files kept (`log_backups`); 0 truncates instead of keeping one.
    var backups: Int
    /// Events that could not be written.
    private(set) var failedWrites = 0
    /// Bytes of the events that could not be written (their encoded lines).
    private(set) var lostBytes: UInt64 = 0
    /// Rotations that failed (the file then grows on; retried at the next event).
    private(set) var failedRotations = 0
    /// Called with the error of a failed write or open (`nil` errno when the event could not be encoded).
    var onFailure: ((String) -> Void)?

    /// Opens (creating, mode 0640) the event log at `path`.
    init(path: String, maxBytes: UInt64, backups: Int) {
        self.path = path
        self.maxBytes = maxBytes
        self.backups = backups
        encoder = EventJSON.encoder()
        fd = -1
        size = 0
        reopen()
    }

    /// Appends one event as one line.
    func append(_ event: WardenEvent) {
        guard var data = try? encoder.encode(event) else { lose(0, "cannot encode a \(event.event.rawValue) event"); return }
        data.append(0x0A)
        if maxBytes > 0, size > 0, size + UInt64(data.count) > maxBytes, !rotate() { failedRotations += 1 }
        // A file removed while Warden runs (a cleanup script, `rm -rf state_dir`: link count 0) is created
        // again, rather than every later event going to the deleted inode.
        var info = stat()
        if fd < 0 || (fstat(fd, &info) == 0 && info.st_nlink == 0) { reopen() }
        guard fd >= 0 else { lose(data.count, "cannot open \(path): \(String(cString: strerror(errno)))"); return }
        let fragmentLeft = torn && !cutBack()
        if fragmentLeft { data.insert(0x0A, at: data.startIndex) }
        let (written, error) = writeAll(data)
        if written == data.count {
            // After a fragment that could not be cut, the file's true size is known only from the file.
            size = fragmentLeft && fstat(fd, &info) == 0 ? UInt64(info.st_size) : size + UInt64(written)
            torn = false
            return
        }
        // A failed or short write: whatever part of the line reached the file is cut off again.
        if written > 0 || error == ENOSPC || error == EIO { torn = true; _ = cutBack() }
        lose(data.count, "cannot write \(path): \(String(cString: strerror(error)))")
    }

    deinit { if fd >= 0 { close(fd) } }

    private func lose(_ bytes: Int, _ why: String) {
        failedWrites += 1
        lostBytes += UInt64(bytes)
        onFailure?(why)
    }

    /// Cuts the file back to `size`, the end of its last whole line. Returns whether it did.
    private func cutBack() -> Bool {
        guard fd >= 0, ftruncate(fd, off_t(size)) == 0 else { return false }
        torn = false
        return true
    }

    /// One `write(2)` for the whole line in practice (regular files take it whole); loops on short writes
    /// and EINTR. Returns the bytes written and, when not all were, the errno that stopped it.
    private func writeAll(_ data: Data) -> (written: Int, errno: Int32) {
        data.withUnsafeBytes { raw -> (Int, Int32) in
            guard let start = raw.baseAddress else { return (0, 0) }
            var done = 0
            while done < raw.count {
                let written = write(fd, start + done, raw.count - done)
                if written < 0 {
                    if errno == EINTR { continue }
                    return (done, errno)
                }
                if written == 0 { return (done, ENOSPC) }
                done += written
            }
            return (done, 0)
        }
    }

    private func reopen() {
        if fd >= 0 { close(fd) }
        // openat + O_NOFOLLOW: a symbolic link planted at the path is refused, never written through.
        fd = StateDirectory.openFile(path, flags: O_RDWR | O_APPEND | O_CREAT, mode: 0o640)
        if fd < 0, errno == ENOENT {
            // The state directory itself was removed: make it again (mode 0700), then the file.
            _ = mkdir(StateDirectory.split(path).directory, 0o700)
            fd = StateDirectory.openFile(path, flags: O_RDWR | O_APPEND | O_CREAT, mode: 0o640)
        }
        torn = false
        guard fd >= 0 else { return }
        var info = stat()
        size = fstat(fd, &info) == 0 ? UInt64(info.st_size) : 0
        // A file a previous Warden left torn (killed mid-write on a full disk) is cut back to its last line.
        if size > 0 { repairTail() }
    }

    /// Cuts a last line without its newline off the file (looking back at most 64 KiB; a longer fragment
    /// is ended with a newline instead).
    private func repairTail() {
        let window = Int(min(size, 65_536))
        var tail = [UInt8](repeating: 0, count: window)
        guard pread(fd, &tail, window, off_t(size) - off_t(window)) == window, tail.last != 0x0A else { return }
        if let newline = tail.lastIndex(of: 0x0A) {
            size = size - UInt64(window) + UInt64(newline + 1)
            torn = true
            _ = cutBack()
        } else if size <= 65_536 {
            size = 0
            torn = true
            _ = cutBack()
        } else if write(fd, [UInt8(0x0A)], 1) == 1 {
            size += 1
        }
    }

    /// Rotates by `LogRotator`'s rules (as captured output): shift to `.1` …, or truncate in place when
    /// `backups` is 0. Returns false on failure: the file is left as it is (tried again at the next event).
    private func rotate() -> Bool {
        if fd >= 0 { close(fd); fd = -1 }
        var rotator = LogRotator(path: path)
        let moved = rotator.rotate(backups: backups)
        reopen()
        return moved
    }
}

/// RFC 3339 timestamps in UTC with milliseconds, e.g. `2026-11-30T03:45:12.345Z`: the edge that reads the
/// wall clock for WardenCore's pure `RFC3339Text`.
enum RFC3339 {
    /// `secondsSinceEpoch` (Unix time, UTC) formatted by `RFC3339Text`.
    static func string(secondsSinceEpoch: Double) -> String {
        RFC3339Text.string(secondsSinceEpoch: secondsSinceEpoch)
    }

    /// The wall clock now, formatted and as a value.
    static func now() -> (String, WallClockTime) {
        let seconds = Date().timeIntervalSince1970
        return (string(secondsSinceEpoch: seconds), WallClockTime(secondsSinceEpoch: seconds))
    }
}
