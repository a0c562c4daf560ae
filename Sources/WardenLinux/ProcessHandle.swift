import CWarden
import Glibc
public import WardenCore

/// Open `/proc/PID` files of one process, kept across samples so that a sample costs a few system calls
/// and no path lookup: `pread` of `stat` and `statm`, and `fstat` of O_PATH descriptors of the `fd` and
/// `task` directories. (`ProcReader.sample(pid:)` opens the directory, opens, reads to EOF and closes each
/// file, looks `fd` up by name and closes the directory, every time.)
///
/// **Two reads.** `read()` reads `stat` (ids, state, CPU time, threads, start time), `statm` and the fd
/// count. `readResources()` reads only what changes when a process leaks — resident memory (`statm`),
/// the fd count, the thread count — and skips `stat`, which costs more than the three others together
/// (it formats 52 fields and takes the process's signal lock: measured ≈ 6 µs of the ≈ 11 µs of a full
/// read, per process, on the 2-core test VM with cold caches). The sampler does a full read every few
/// rounds and `readResources()` in between.
///
/// **Re-reading.** `stat` and `statm` are seq_files: a read at offset 0 discards the kernel's buffer and
/// generates the content afresh (fs/seq_file.c, `seq_read_iter`: "if request is to read from zero offset,
/// reset iterator to first record"), so `pread(fd, buf, n, 0)` returns current values every time (checked
/// by `ProcessHandleTests`). The whole content fits the buffer, so one pread returns all of it.
///
/// **Resident memory** comes from `statm`, not from `stat`'s field 24: since Linux 6.x `statm` (like
/// `VmRSS` in `status`) sums the per-CPU RSS counters exactly (`get_mm_counter_sum`), while `stat` reads
/// them without summing (`get_mm_rss`), which is off by up to 3 × batch × CPUs pages — measured 416
/// pages against 460 here, and reported as 0 on hosts with hundreds of CPUs.
///
/// **fd and thread counts** without reading a directory: `st_size` of `/proc/PID/fd` is the number of
/// open descriptors since Linux 6.2 (`proc_fd_getattr`), and `st_nlink` of `/proc/PID/task` is 2 + the
/// number of threads (`proc_task_getattr`), both computed at getattr time, so an `fstat` of a descriptor
/// kept open on the directory (O_PATH: no read access needed) gives the current count. Where the fd
/// directory's size is 0 (older kernels; a process with no fds) its entries are counted with readdir, as
/// in `ProcReader.fdCount(pid:)`.
///
/// **Identity.** The files are opened through one `/proc/PID` directory descriptor (closed again at the
/// end of `init`), so they belong to the process that had the pid at `init` — recorded with its
/// `startTime` — even after the pid is reused. Once that process has been reaped, reads fail (ESRCH from
/// `stat`/`statm`, `proc_single_show` finds no task; ENOENT from the directories' fstat) and both reads
/// return nil: a handle never describes another process. A zombie (exited, not yet reaped) can still be
/// read: state `Z`, no address space (`statm` all zeros), no fds.
///
/// **Cost.** Four descriptors per handle (`stat`, `statm`, `fd`, `task`), all O_CLOEXEC, closed on deinit;
/// a supervisor that keeps one handle per sampled process needs RLIMIT_NOFILE above 4 × processes (see
/// `ResourceLimits.raiseOpenFileLimit(ifBelow:)`).
///
/// Sendable: every stored property is immutable, and concurrent `pread`s at offset 0 on the same seq_file
/// are serialized by the kernel (the seq_file mutex); the descriptors are closed only in deinit, when no
/// reader can be left.
public final class ProcessHandle: Sendable {
    /// What one `read()` returns: the parsed stat line (ids, state, CPU, threads) and the sample built from
    /// it, statm's resident pages and the fd count.
    public struct Reading: Sendable, Equatable {
        /// The parsed `/proc/PID/stat`.
        public var stat: ProcStat
        /// The resource sample (RSS in bytes from statm, fds, threads, CPU ticks).
        public var sample: ProcessSample
    }

    /// What `readResources()` returns: the counts that grow when a process leaks.
    public struct Resources: Sendable, Equatable {
        /// Resident set size, bytes (`statm` resident pages × page size).
        public var rssBytes: UInt64
        /// Open file descriptors; nil when the `fd` directory cannot be read (see `ProcReader.fdCount`).
        public var fds: Int?
        /// Threads (`st_nlink` of `/proc/PID/task` − 2).
        public var threads: Int
        /// Whether the process still has an address space: false for a zombie (`statm` is all zeros once
        /// the process has exited), whose state only a full `read()` can confirm.
        public var hasAddressSpace: Bool
    }

    /// The process id.
    public let pid: Int32
    /// Start time of the process the handle is bound to, in clock ticks after boot (stat field 22).
    public let startTime: UInt64
    private let statFD: Int32
    private let statmFD: Int32
    /// O_PATH descriptor of `/proc/PID/fd`.
    private let fdDirectoryFD: Int32
    /// O_PATH descriptor of `/proc/PID/task`.
    private let taskDirectoryFD: Int32
    /// The stat read by `init` (the start time check), so that a new handle needs no second full read.
    public let initialStat: ProcStat

    /// Opens `/proc/PID`, then through it `stat` and `statm` (O_RDONLY | O_CLOEXEC), `fd` and `task`
    /// (O_PATH | O_DIRECTORY | O_CLOEXEC), and reads `stat` once to learn the start time (`initialStat`).
    /// - Parameters:
    ///   - pid: the process id.
    ///   - expectedStartTime: when given, the handle is refused (nil) unless the process now holding `pid`
    ///     started at this time (clock ticks after boot): the pid may have been reused since it was listed.
    /// - Returns: nil when the process does not exist (ENOENT/ESRCH), a descriptor cannot be opened (EMFILE,
    ///   ENFILE), or the start time differs from `expectedStartTime`.
    public init?(pid: Int32, expectedStartTime: UInt64? = nil) {
        let directory = ProcReader.withProcPath(pid, "") { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard directory >= 0 else { return nil }
        defer { close(directory) }
        let stat = openat(directory, "stat", O_RDONLY | O_CLOEXEC)
        let statm = stat >= 0 ? openat(directory, "statm", O_RDONLY | O_CLOEXEC) : -1
        let fds = statm >= 0 ? openat(directory, "fd", cw_open_flag_path() | O_DIRECTORY | O_CLOEXEC) : -1
        let task = fds >= 0 ? openat(directory, "task", cw_open_flag_path() | O_DIRECTORY | O_CLOEXEC) : -1
        guard task >= 0, let parsed = Self.readStat(stat),
            expectedStartTime == nil || parsed.startTime == expectedStartTime
        else {
            for fd in [stat, statm, fds, task] where fd >= 0 { close(fd) }
            return nil
        }
        self.pid = pid
        self.startTime = parsed.startTime
        initialStat = parsed
        statFD = stat
        statmFD = statm
        fdDirectoryFD = fds
        taskDirectoryFD = task
    }

    deinit {
        close(statFD)
        close(statmFD)
        close(fdDirectoryFD)
        close(taskDirectoryFD)
    }

    /// Reads the process now: `stat`, `statm` and the fd count (nil when the `fd` directory cannot be listed,
    /// see `ProcReader.fdCount(pid:)`).
    /// - Returns: nil once the process has been reaped (ESRCH), or if a file does not parse.
    public func read() -> Reading? {
        guard let stat = Self.readStat(statFD), stat.startTime == startTime,
            let statm = Self.readStatm(statmFD)
        else { return nil }
        let sample = ProcessSample(stat: stat, residentPages: statm.residentPages, pageSize: ProcReader.pageSize,
                                   fds: fdCount())
        return Reading(stat: stat, sample: sample)
    }

    /// The sample part of `read()`.
    public func sample() -> ProcessSample? { read()?.sample }

    /// Reads resident memory (`statm`), the fd count and the thread count now, without `stat`.
    /// - Returns: nil once the process has been reaped (ESRCH, ENOENT), or if `statm` does not parse.
    public func readResources() -> Resources? {
        guard let statm = Self.readStatm(statmFD) else { return nil }
        var info = stat()
        guard fstat(taskDirectoryFD, &info) == 0 else { return nil }
        let threads = max(Int(info.st_nlink) - 2, 0)
        return Resources(rssBytes: statm.residentPages &* UInt64(ProcReader.pageSize), fds: fdCount(),
                         threads: threads, hasAddressSpace: statm.sizePages > 0)
    }

    /// Resident memory, fds and threads read through a live thread of the process (`task/TID/statm`,
    /// `task/TID/fd`): for a zombie leader, whose main thread called `pthread_exit` while the others run
    /// on. The leader's own `statm` is all zeros and its `fd` directory empty (its thread released them),
    /// but the memory and the descriptor table are the thread group's, and any live thread shows them.
    /// - Returns: nil when no thread other than the leader is alive (the process has really exited).
    public func readThroughLiveThread() -> Resources? {
        let listing = openat(taskDirectoryFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard listing >= 0, let directory = fdopendir(listing) else {
            if listing >= 0 { close(listing) }
            return nil
        }
        defer { closedir(directory) }
        var info = stat()
        guard fstat(taskDirectoryFD, &info) == 0 else { return nil }
        let threads = max(Int(info.st_nlink) - 2, 0)
        while let entry = readdir(directory) {
            guard let tid = ProcReader.pid(of: entry), tid != pid else { continue }
            let statm = openat(taskDirectoryFD, "\(tid)/statm", O_RDONLY | O_CLOEXEC)
            guard statm >= 0 else { continue }
            defer { close(statm) }
            guard let memory = Self.readStatm(statm), memory.sizePages > 0 else { continue }
            let fdDirectory = openat(taskDirectoryFD, "\(tid)/fd", cw_open_flag_path() | O_DIRECTORY | O_CLOEXEC)
            var fds: Int?
            if fdDirectory >= 0 {
                var fdInfo = stat()
                if fstat(fdDirectory, &fdInfo) == 0 {
                    fds = fdInfo.st_size > 0 ? Int(fdInfo.st_size) : ProcReader.fdCount(fdDirectory, ".")
                }
                close(fdDirectory)
            }
            return Resources(rssBytes: memory.residentPages &* UInt64(ProcReader.pageSize), fds: fds,
                             threads: threads, hasAddressSpace: true)
        }
        return nil
    }

    /// `st_size` of the `fd` directory, or its entries counted when that is 0; nil if it cannot be read.
    private func fdCount() -> Int? {
        var info = stat()
        guard fstat(fdDirectoryFD, &info) == 0 else { return nil }
        if info.st_size > 0 { return Int(info.st_size) }
        return ProcReader.fdCount(fdDirectoryFD, ".")
    }

    private static func readStat(_ fd: Int32) -> ProcStat? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2048) { buffer in
            guard let count = preadAll(fd, into: buffer) else { return nil }
            return ProcStat.parse(UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    private static func readStatm(_ fd: Int32) -> ProcStatm? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer in
            guard let count = preadAll(fd, into: buffer) else { return nil }
            return ProcStatm.parse(UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// One `pread(fd, buffer, count, 0)`. A seq_file produces its single record whole, so a result shorter
    /// than the buffer is the complete content.
    /// - Returns: the byte count; nil on error (ESRCH: the process was reaped) or when the content fills the
    ///   buffer (it might be truncated; the buffers are far larger than any stat or statm line).
    private static func preadAll(_ fd: Int32, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int? {
        while true {
            let count = pread(fd, buffer.baseAddress!, buffer.count, 0)
            if count >= 0 { return count < buffer.count ? count : nil }
            if errno != EINTR { return nil }
        }
    }
}
