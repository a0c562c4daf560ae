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
/// Owned by the supervisor actor. Each event is written with one `write(2)` on an `O_APPEND` descriptor,
/// so a line is never interleaved or torn by another writer and a crash loses at most the event being
/// written. When the file would grow past `maxBytes`, it is renamed to `events.jsonl.1` (older ones
/// shift to `.2` … `.backups`, the oldest is removed) and a new file is opened: rotation happens between
/// lines, never inside one. Write errors are counted, never thrown: supervision must go on when the disk
/// is full.
final class EventLog {
    private let path: String
    /// The open descriptor, or -1 after a failed open (retried at the next event).
    private var fd: Int32
    private var size: UInt64
    private let encoder: JSONEncoder
    /// Size that triggers a rotation, bytes (`log_max_bytes`); 0 never rotates.
    var maxBytes: UInt64
    /// Rotated files kept (`log_backups`); 0 truncates instead of keeping one.
    var backups: Int
    /// Events that could not be written.
    private(set) var failedWrites = 0

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
        guard var data = try? encoder.encode(event) else { failedWrites += 1; return }
        data.append(0x0A)
        if maxBytes > 0, size > 0, size + UInt64(data.count) > maxBytes { rotate() }
        // A file removed while Warden runs (a cleanup script, `rm -rf state_dir`) is created again, rather
        // than every later event going to the deleted inode.
        var info = stat()
        if fd < 0 || (fstat(fd, &info) == 0 && info.st_nlink == 0) { reopen() }
        guard fd >= 0 else { failedWrites += 1; return }
        if writeAll(data) { size += UInt64(data.count) } else { failedWrites += 1 }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// One `write(2)` for the whole line in practice (regular files take it whole); loops on short writes
    /// and EINTR. Returns false on any other error.
    private func writeAll(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw -> Bool in
            guard var base = raw.baseAddress else { return true }
            var remaining = raw.count
            while remaining > 0 {
                let written = write(fd, base, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                remaining -= written
                base += written
            }
            return true
        }
    }

    private func reopen() {
        if fd >= 0 { close(fd) }
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return }
        var info = stat()
        size = fstat(fd, &info) == 0 ? UInt64(info.st_size) : 0
    }

    /// Rotates by `LogRotator`'s rules (as captured output): shift to `.1` …, or truncate in place when
    /// `backups` is 0. A failure leaves the file as it is (tried again at the next event).
    private func rotate() {
        if fd >= 0 { close(fd); fd = -1 }
        var rotator = LogRotator(path: path)
        _ = rotator.rotate(backups: backups)
        reopen()
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
