/// The fields Warden uses from one `/proc/PID/stat` line (proc(5)).
///
/// Times are in clock ticks (`sysconf(_SC_CLK_TCK)`, 100 on every Linux Warden targets); `startTime` counts
/// from boot, so `(pid, startTime)` identifies a process across pid reuse.
public struct ProcStat: Sendable, Equatable {
    /// Field 1, the process id.
    public var pid: Int32
    /// Field 2 without its parentheses: the executable name, at most 15 bytes (TASK_COMM_LEN - 1). It is set by
    /// the process (prctl PR_SET_NAME), so it may contain spaces, `(` and `)`; bytes that are not UTF-8 are
    /// replaced by U+FFFD.
    public var comm: String
    /// Field 3: `R` running, `S` sleeping, `D` disk sleep, `Z` zombie, `T` stopped, `t`, `X`, `I` idle.
    public var state: Character
    /// Field 4, the parent's pid (0 for pid 1 and kernel threads).
    public var ppid: Int32
    /// Field 5, the process group id.
    public var pgrp: Int32
    /// Field 6, the session id.
    public var session: Int32
    /// Field 14, user-mode CPU time, in clock ticks.
    public var utime: UInt64
    /// Field 15, kernel-mode CPU time, in clock ticks.
    public var stime: UInt64
    /// Fields 16 + 17 (cutime + cstime): CPU time of the children this process has waited for, in clock
    /// ticks. A short-lived child's CPU lands here when its parent reaps it, so a tree's CPU time stays
    /// whole even when its members come and go between samples.
    public var childrenCPUTicks: UInt64
    /// Field 20, the number of threads (1 for a single-threaded process).
    public var numThreads: Int
    /// Field 22, the start time after boot, in clock ticks.
    public var startTime: UInt64
    /// Field 24, the resident set size, in pages; 0 for a zombie. Approximate: since Linux 6.2 the RSS
    /// counters are per-CPU and stat reads them without summing (measured 416 pages here while statm and
    /// status said 460), so use `ProcStatm.residentPages` for a precise value.
    public var rssPages: UInt64

    /// Creates a stat record from its fields, in the units documented on each property.
    public init(
        pid: Int32, comm: String, state: Character, ppid: Int32, pgrp: Int32, session: Int32,
        utime: UInt64, stime: UInt64, numThreads: Int, startTime: UInt64, rssPages: UInt64,
        childrenCPUTicks: UInt64 = 0
    ) {
        self.pid = pid
        self.comm = comm
        self.state = state
        self.ppid = ppid
        self.pgrp = pgrp
        self.session = session
        self.utime = utime
        self.stime = stime
        self.numThreads = numThreads
        self.startTime = startTime
        self.rssPages = rssPages
        self.childrenCPUTicks = childrenCPUTicks
    }

    /// Parses the content of `/proc/PID/stat`.
    ///
    /// `comm` is the text between the first `(` and the **last** `)`: a process can name itself `a) R 1 (`,
    /// so nothing after the first `)` can be trusted until the last one is found. The numeric fields come
    /// after that last `)`.
    /// - Returns: nil when the text is not a stat line (missing parentheses, fewer than 24 fields, or a
    ///   field that is not a decimal number).
    /// Whether the process has ended: state `Z` with no live thread. The leader of a thread group whose
    /// main thread exited (`pthread_exit`) shows `Z` while its other threads run: `num_threads` then still
    /// counts them, and the process is alive.
    public var isExited: Bool { state == "Z" && numThreads <= 1 }

    public static func parse(_ bytes: some Collection<UInt8>) -> ProcStat? {
        if let parsed = bytes.withContiguousStorageIfAvailable({ parse(buffer: $0) }) { return parsed }
        return Array(bytes).withUnsafeBufferPointer { parse(buffer: $0) }
    }

    /// Parses the content of `/proc/PID/stat` given as text; see `parse(_:)` for bytes.
    public static func parse(_ text: String) -> ProcStat? { parse(text.utf8) }

    /// Parses the content of `/proc/PID/stat` in a buffer: the overload the samplers call, with no generic
    /// dispatch across the module boundary. See `parse(_:)`.
    public static func parse(_ buffer: UnsafeBufferPointer<UInt8>) -> ProcStat? { parse(buffer: buffer) }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>) -> ProcStat? {
        guard let open = buffer.firstIndex(of: UInt8(ascii: "(")),
            let close = buffer.lastIndex(of: UInt8(ascii: ")")), open < close,
            let pid = ProcFields.integer(buffer[..<open].trimmingSpaces()).flatMap(Int32.init(exactly:))
        else { return nil }
        let comm = String(decoding: buffer[(open + 1)..<close], as: UTF8.self)

        // Fields after the last ')', numbered as in proc(5): 3 is state. A hand-rolled tokenizer, so that a
        // sample allocates nothing (comm fits a small String).
        var state: Character?
        var values = (ppid: Int64(0), pgrp: Int64(0), session: Int64(0), utime: Int64(0), stime: Int64(0),
                      cutime: Int64(0), cstime: Int64(0), threads: Int64(0), start: Int64(0), rss: Int64(0))
        var complete = false
        var tokens = ProcFields.Tokens(buffer[(close + 1)...])
        var field = 3
        while !complete, let token = tokens.next() {
            defer { field += 1 }
            if field == 3 {
                guard token.count == 1 else { return nil }
                state = Character(Unicode.Scalar(token[token.startIndex]))
                continue
            }
            switch field {
            case 4, 5, 6, 14, 15, 16, 17, 20, 22, 24:
                guard let value = ProcFields.integer(token) else { return nil }
                switch field {
                case 4: values.ppid = value
                case 5: values.pgrp = value
                case 6: values.session = value
                case 14: values.utime = value
                case 15: values.stime = value
                case 16: values.cutime = value
                case 17: values.cstime = value
                case 20: values.threads = value
                case 22: values.start = value
                default: values.rss = value; complete = true  // 24, the last field Warden reads
                }
            default: continue
            }
        }
        guard complete, let state,
            let ppid = Int32(exactly: values.ppid), let pgrp = Int32(exactly: values.pgrp),
            let session = Int32(exactly: values.session),
            let utime = UInt64(exactly: values.utime), let stime = UInt64(exactly: values.stime),
            let start = UInt64(exactly: values.start), let rss = UInt64(exactly: values.rss)
        else { return nil }
        // cutime/cstime are signed in the kernel's format (`long`); a negative value is treated as 0.
        let children = UInt64(max(values.cutime, 0)) &+ UInt64(max(values.cstime, 0))
        return ProcStat(
            pid: pid, comm: comm, state: state, ppid: ppid, pgrp: pgrp, session: session, utime: utime,
            stime: stime, numThreads: Int(values.threads), startTime: start, rssPages: rss,
            childrenCPUTicks: children)
    }
}

/// The page counts of `/proc/PID/statm` (proc(5)): `size resident shared text lib data dt`.
public struct ProcStatm: Sendable, Equatable {
    /// Total program size (VmSize), in pages.
    public var sizePages: UInt64
    /// Resident set size, in pages: the exact value (equal to VmRSS in `/proc/PID/status`).
    public var residentPages: UInt64

    /// Creates a statm record from page counts.
    public init(sizePages: UInt64, residentPages: UInt64) {
        self.sizePages = sizePages
        self.residentPages = residentPages
    }

    /// Parses the content of `/proc/PID/statm`.
    /// - Returns: nil unless the text starts with two unsigned decimal numbers.
    public static func parse(_ bytes: some Collection<UInt8>) -> ProcStatm? {
        if let parsed = bytes.withContiguousStorageIfAvailable({ parse(buffer: $0) }) { return parsed }
        return Array(bytes).withUnsafeBufferPointer { parse(buffer: $0) }
    }

    /// Parses the content of `/proc/PID/statm` given as text.
    public static func parse(_ text: String) -> ProcStatm? { parse(text.utf8) }

    /// Parses the content of `/proc/PID/statm` in a buffer, without generic dispatch. See `parse(_:)`.
    public static func parse(_ buffer: UnsafeBufferPointer<UInt8>) -> ProcStatm? { parse(buffer: buffer) }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>) -> ProcStatm? {
        var tokens = ProcFields.Tokens(buffer[...])
        guard let size = tokens.next().flatMap(ProcFields.integer).flatMap(UInt64.init(exactly:)),
            let resident = tokens.next().flatMap(ProcFields.integer).flatMap(UInt64.init(exactly:))
        else { return nil }
        return ProcStatm(sizePages: size, residentPages: resident)
    }
}

/// Byte-level helpers shared by the /proc parsers.
enum ProcFields {
    /// Whitespace-separated tokens of a byte slice, without allocating.
    struct Tokens {
        private let bytes: Slice<UnsafeBufferPointer<UInt8>>
        private var index: Int

        init(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) {
            self.bytes = bytes
            self.index = bytes.startIndex
        }

        mutating func next() -> Slice<UnsafeBufferPointer<UInt8>>? {
            while index < bytes.endIndex, ProcFields.isSpace(bytes[index]) { index += 1 }
            guard index < bytes.endIndex else { return nil }
            let start = index
            while index < bytes.endIndex, !ProcFields.isSpace(bytes[index]) { index += 1 }
            return bytes[start..<index]
        }
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t")
    }

    /// A decimal integer with an optional leading `-`; nil for anything else or on overflow.
    static func integer(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> Int64? {
        var index = digits.startIndex
        let negative = index < digits.endIndex && digits[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < digits.endIndex else { return nil }
        var value: Int64 = 0
        while index < digits.endIndex {
            let digit = digits[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { return nil }
            value = sum
            index += 1
        }
        return negative ? -value : value
    }
}

extension Slice where Base == UnsafeBufferPointer<UInt8> {
    /// The slice without leading and trailing ASCII whitespace.
    func trimmingSpaces() -> Slice<Base> {
        var lower = startIndex
        var upper = endIndex
        while lower < upper, ProcFields.isSpace(self[lower]) { lower += 1 }
        while upper > lower, ProcFields.isSpace(self[upper - 1]) { upper -= 1 }
        return self[lower..<upper]
    }
}
