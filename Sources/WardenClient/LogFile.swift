import Glibc

/// Reading a captured output log (`STATE_DIR/logs/NAME.out.log`) the way `warden logs` shows it: the last
/// lines, then what is appended, following the file across rotations (`NAME.log` renamed to `NAME.log.1`,
/// or truncated in place with `log_backups = 0`) and restarts (a new process appends to the same file).
///
/// Plain file reads of at most 64 KiB per call; `warden logs` calls them between sleeps.
public final class LogFile {
    /// The live log file.
    public let path: String
    private var fd: Int32 = -1
    private var inode: ino_t = 0
    private var offset: off_t = 0

    /// Opens nothing yet; `tail(lines:)` opens the file if it exists.
    public init(path: String) { self.path = path }

    deinit { if fd >= 0 { close(fd) } }

    /// The last `lines` lines (taking older ones from `PATH.1` when the live file has fewer), and positions
    /// the reader at the end of the live file for `readNew()`. Empty when neither file exists.
    public func tail(lines: Int) -> [UInt8] {
        reopen()
        var bytes: [UInt8] = []
        var found = 0
        if fd >= 0 {
            (bytes, found) = Self.lastLines(lines, fd: fd, end: offset)
        }
        if found < lines {
            let previous = open(path + ".1", O_RDONLY | O_CLOEXEC)
            if previous >= 0 {
                var info = stat()
                if fstat(previous, &info) == 0 {
                    bytes = Self.lastLines(lines - found, fd: previous, end: info.st_size).bytes + bytes
                }
                close(previous)
            }
        }
        return bytes
    }

    /// What was appended since the last call: the rest of the file being read, then — when the path now
    /// names another file (rotated) or a shorter one (truncated) — that file from its start.
    public func readNew() -> [UInt8] {
        var bytes = fd >= 0 ? readToEnd() : []
        var info = stat()
        guard stat(path, &info) == 0 else { return bytes }  // between a rename and the pump's next write
        if fd < 0 || info.st_ino != inode {
            // Rotated: the old file is complete now (the pump writes only to the new one after the rename);
            // what reached it since the read above comes first.
            if fd >= 0 {
                bytes += readToEnd()
                close(fd)
            }
            fd = -1
            reopen(atStart: true)
            bytes += readToEnd()
        } else if info.st_size < offset {
            offset = 0  // truncated in place
            bytes += readToEnd()
        }
        return bytes
    }

    private func reopen(atStart: Bool = false) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        var info = stat()
        guard fstat(fd, &info) == 0 else { close(fd); fd = -1; return }
        inode = info.st_ino
        offset = atStart ? 0 : info.st_size
    }

    private func readToEnd() -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            guard count > 0 else { break }
            out += chunk[..<count]
            offset += off_t(count)
            if out.count >= 1 << 20 { break }  // the rest next time
        }
        return out
    }

    /// The last `count` lines of the first `end` bytes of `fd`, reading backwards in 64 KiB blocks; an
    /// unterminated last line counts as a line.
    static func lastLines(_ count: Int, fd: Int32, end: off_t) -> (bytes: [UInt8], lines: Int) {
        guard count > 0, end > 0 else { return ([], 0) }
        var collected: [UInt8] = []
        var position = end
        var newlines = 0
        let newline = UInt8(ascii: "\n")
        while position > 0 {
            let size = Int(min(position, 64 * 1024))
            position -= off_t(size)
            var block = [UInt8](repeating: 0, count: size)
            let read = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress, size, position) }
            guard read == size else { break }
            collected = block + collected
            // The terminating newline of the last line does not start a line.
            newlines = collected.dropLast(collected.last == newline ? 1 : 0).count(where: { $0 == newline })
            if newlines >= count { break }
        }
        let body = collected.last == newline ? collected.dropLast() : collected[...]
        var starts = 0
        var index = body.endIndex
        while index > body.startIndex {
            index -= 1
            if body[index] == newline {
                starts += 1
                if starts == count { return (Array(collected[(index + 1)...]), count) }
            }
        }
        return (collected, body.isEmpty ? 0 : starts + 1)
    }
}
