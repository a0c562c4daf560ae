import Glibc

/// Size-based rotation of one log file: the one rule set for captured output (`OutputCapture`) and the
/// event log (`events.jsonl`), both configured by `log_max_bytes` and `log_backups`.
///
/// - The caller rotates a file before a write that would take it past `log_max_bytes` (0: never rotate).
/// - `backups` ≥ 1: `PATH.1` … `PATH.(backups-1)` move up by one (replacing `PATH.backups`, so at most
///   `backups` rotated files exist) and `PATH` becomes `PATH.1`.
/// - `backups` = 0 (or negative): `PATH` is truncated in place; no backup is kept.
///
/// The caller closes its descriptor before `rotate` and opens `PATH` again (`O_APPEND | O_CREAT`) after it.
/// Blocking file-system calls: call it where the file is written (the output pump's thread, the event log).
public struct LogRotator: Sendable {
    /// The live log file.
    public let path: String
    /// Consecutive rotated files `PATH.1`, `PATH.2`, … known to exist; `nil` until probed (or after a
    /// failure), so a rotation renames only files that exist.
    private var backupsPresent: Int?

    public init(path: String) { self.path = path }

    /// Rotates `path` keeping `backups` rotated files.
    /// - Returns: false when the file could not be moved away or truncated (`rename`/`truncate` failed:
    ///   EISDIR, EPERM, EROFS…); it is then left as it is. A missing file counts as rotated.
    public mutating func rotate(backups: Int) -> Bool {
        guard backups > 0 else {
            backupsPresent = nil
            return StateDirectory.truncateFile(path) || errno == ENOENT
        }
        var present = backupsPresent ?? 0
        if backupsPresent == nil {
            while present < backups && access("\(path).\(present + 1)", F_OK) == 0 { present += 1 }
        }
        // Renaming `.(backups-1)` onto `.backups` drops the oldest file.
        for index in stride(from: min(present, backups - 1), through: 1, by: -1) {
            rename("\(path).\(index)", "\(path).\(index + 1)")
        }
        let moved = rename(path, "\(path).1") == 0 || errno == ENOENT
        backupsPresent = moved ? min(present + 1, backups) : nil
        return moved
    }
}
