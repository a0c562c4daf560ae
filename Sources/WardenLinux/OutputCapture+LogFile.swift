import Glibc
import WardenCore

// The pump thread's side of each log file: the sink a pipe is pumped into, and the appending, rotating
// and reopening of its file. Runs on the pump thread only.
extension OutputCapture {
    /// A pipe being pumped into its log file. Owned by the pump thread alone (never shared).
    final class Sink {
        let readFD: Int32
        let path: String
        /// The open log file, or -1: before the first output, and after an open failed.
        var fileFD: Int32 = -1
        /// Size of the log file in bytes (valid while `fileFD` is open).
        var size: UInt64 = 0
        /// Whether the last byte written is a newline (an empty file counts as ending in one).
        var endsWithNewline = true
        /// Bytes of the unfinished line at the end of the file (0 when it ends with a newline).
        var openLineBytes: UInt64 = 0
        /// After a failed rotation: the size at which the next rotation is tried (0: none failed).
        var rotationRetryAt: UInt64 = 0
        /// Moves the file away when it is full (`LogRotator`'s rules).
        var rotator: LogRotator
        /// Timestamps in front of lines, when the program asks for them.
        let timestamps: Bool
        var stamper = LineStamper()
        /// Whether the pipe delivered bytes already.
        var hadOutput = false
        /// A marker line waiting for the first output (`announce`).
        var pendingMarker: String?
        /// Set until the announced marker line arrives; output read meanwhile waits in `held`.
        var awaitingMarker: Bool
        var held: [UInt8] = []

        init(_ registration: Registration) {
            readFD = registration.readFD
            path = registration.path
            timestamps = registration.timestamps
            awaitingMarker = registration.announced
            rotator = LogRotator(path: registration.path)
        }
    }

    /// Appends a marker line to the sink's file, on a line of its own (after a newline when the file ends
    /// inside a line), with a timestamp when the sink has them.
    func write(line: String, to sink: Sink) {
        var bytes = Array(line.utf8) + [UInt8(ascii: "\n")]
        if !sink.endsWithNewline { bytes.insert(UInt8(ascii: "\n"), at: 0) }
        if sink.timestamps {
            var stamper = LineStamper()  // the marker is a whole line of its own: the sink's state is kept
            bytes = stamper.stamp(bytes, prefix: Self.timestampPrefix())
        }
        bytes.withUnsafeBytes { append($0, to: sink) }
    }

    /// The timestamp prefix of lines read now (CLOCK_REALTIME).
    static func timestampPrefix() -> [UInt8] {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return CapturedOutputFormat.timestampPrefix(secondsSinceEpoch: Double(now.tv_sec) + Double(now.tv_nsec) / 1e9)
    }

    /// Appends `bytes` to the sink's file, rotating whenever they would push it past `maxBytes`.
    ///
    /// The cut goes after the last newline that still fits. When none fits and the file ends inside a line
    /// (a read ended mid-line), that line is finished first, so a file may exceed `maxBytes` by the rest of
    /// one line (less than one 64 KiB read). Only a single line longer than `maxBytes` is split.
    func append(_ bytes: UnsafeRawBufferPointer, to sink: Sink) {
        if sink.fileFD < 0 { reopen(sink) }  // the first output, or an earlier open failed: (re)try now
        // A file removed while Warden runs (a cleanup script, `rm -rf state_dir`: link count 0) is created
        // again rather than written to a deleted inode.
        var info = stat()
        if sink.fileFD >= 0, fstat(sink.fileFD, &info) == 0, info.st_nlink == 0 {
            close(sink.fileFD)
            reopen(sink)
        }
        let maxBytes = self.maxBytes
        let newline = UInt8(ascii: "\n")
        var rest = bytes[...]
        while !rest.isEmpty {
            // After a failed rotation the file grows on; the next attempt waits for another `maxBytes`, so
            // a rename that keeps failing (a directory or an immutable file in the way) costs one try per
            // `maxBytes` of output, never a loop. Each pass below stores bytes or rotates; a failed
            // rotation stores the rest and returns.
            let limit = maxBytes == 0 ? UInt64.max : max(maxBytes, sink.rotationRetryAt)
            let room = limit - min(sink.size, limit)
            if UInt64(rest.count) <= room {
                store(UnsafeRawBufferPointer(rebasing: rest), in: sink)
                return
            }
            let reach = rest.startIndex + Int(room)
            let cut: Int
            if !sink.endsWithNewline {
                // The file ends inside a line (a read ended mid-line): finish that line here, so lines stay
                // whole — unless it is already longer than `maxBytes` on its own, which is cut.
                if let first = rest.firstIndex(of: newline) {
                    cut = first + 1
                } else if sink.openLineBytes + UInt64(rest.count) <= maxBytes {
                    store(UnsafeRawBufferPointer(rebasing: rest), in: sink)
                    return
                } else {
                    cut = rest.startIndex + Int(maxBytes - min(sink.openLineBytes, maxBytes))
                }
            } else if let last = rest[..<reach].lastIndex(of: newline) {
                cut = last + 1
            } else if sink.size == 0 {
                cut = reach  // a line longer than maxBytes: hard cut
            } else {
                cut = rest.startIndex
            }
            store(UnsafeRawBufferPointer(rebasing: rest[..<cut]), in: sink)
            rest = rest[cut...]
            if !rotate(sink) {
                // The rest goes to the file as it is; the next try waits for `maxBytes` more output.
                failures.add(1, ordering: .relaxed)
                store(UnsafeRawBufferPointer(rebasing: rest), in: sink)
                sink.rotationRetryAt = sink.size + maxBytes
                return
            }
        }
    }

    /// Writes all of `bytes` to the sink's file; bytes that cannot be written (or that find the file closed
    /// because it could not be opened) are dropped and counted.
    private func store(_ bytes: UnsafeRawBufferPointer, in sink: Sink) {
        guard !bytes.isEmpty else { return }
        var offset = 0
        while sink.fileFD >= 0 && offset < bytes.count {
            let count = Glibc.write(sink.fileFD, bytes.baseAddress! + offset, bytes.count - offset)
            if count > 0 {
                offset += count
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                break  // ENOSPC, EIO, EFBIG: drop the rest of this chunk, keep draining the pipe
            }
        }
        sink.size += UInt64(offset)
        if offset > 0 {
            let written = UnsafeRawBufferPointer(rebasing: bytes[..<offset])
            if let last = written.lastIndex(of: UInt8(ascii: "\n")) {
                sink.openLineBytes = UInt64(offset - last - 1)
            } else {
                sink.openLineBytes += UInt64(offset)
            }
            sink.endsWithNewline = sink.openLineBytes == 0
        }
        if offset < bytes.count { dropped.add(UInt64(bytes.count - offset), ordering: .relaxed) }
    }

    /// Rotates the sink's file (`LogRotator`: shift to `.1` …, or truncate in place when `backups` is 0) and
    /// opens it again.
    /// - Returns: false when the current file could not be moved away or truncated; it is then reopened as
    ///   it is.
    @discardableResult
    private func rotate(_ sink: Sink) -> Bool {
        if sink.fileFD >= 0 { close(sink.fileFD) }
        sink.fileFD = -1
        let moved = sink.rotator.rotate(backups: backups)
        reopen(sink)
        if moved { sink.rotationRetryAt = 0 }
        return moved
    }

    /// Opens (creating if needed) the sink's log file and takes its size: at the pipe's first output and
    /// after each rotation. On failure the file stays closed, its bytes are dropped, and the next output
    /// retries.
    func reopen(_ sink: Sink) {
        // openat + O_NOFOLLOW: a symbolic link planted at the log's path is refused, never written through.
        sink.fileFD = StateDirectory.openFile(sink.path, flags: O_WRONLY | O_CREAT | O_APPEND, mode: 0o640)
        var info = stat()
        sink.size = sink.fileFD >= 0 && fstat(sink.fileFD, &info) == 0 ? UInt64(max(info.st_size, 0)) : 0
        sink.endsWithNewline = true
        sink.openLineBytes = 0
    }
}
