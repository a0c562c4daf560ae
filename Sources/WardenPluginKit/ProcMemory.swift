/// Memory of one process from `/proc/PID/smaps_rollup` (Linux 4.14+), in bytes.
///
/// `Rss` counts every resident page the process maps, shared ones in full (a PostgreSQL backend's touched
/// `shared_buffers` included); `Pss` divides each shared page by the number of processes mapping it, so
/// the Pss of a set of processes adds up to what they really occupy. Reading it walks the process's page
/// tables (tens of microseconds for a backend) and needs the same uid or CAP_SYS_PTRACE.
public struct ProcessMemory: Sendable, Equatable {
    /// `Rss`, bytes.
    public var residentBytes: UInt64
    /// `Pss`, bytes.
    public var proportionalBytes: UInt64

    public init(residentBytes: UInt64, proportionalBytes: UInt64) {
        self.residentBytes = residentBytes; self.proportionalBytes = proportionalBytes
    }

    /// Reads `procRoot/PID/smaps_rollup`; `nil` when the process is gone, unreadable, or the file lacks
    /// `Rss:` / `Pss:`.
    public static func read(pid: Int32, procRoot: String = "/proc") -> ProcessMemory? {
        ProcFD.readText(path: "\(procRoot)/\(pid)/smaps_rollup").flatMap(parse)
    }

    /// Parses the text of `smaps_rollup`: lines `Rss:   1234 kB`, `Pss:   567 kB` (kibibytes).
    public static func parse(_ text: String) -> ProcessMemory? {
        var rss: UInt64?, pss: UInt64?
        for line in text.split(separator: "\n") where line.hasPrefix("Rss:") || line.hasPrefix("Pss:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 3, fields[2] == "kB", let kib = UInt64(fields[1]) else { continue }
            if fields[0] == "Rss:" { rss = kib * 1024 } else if fields[0] == "Pss:" { pss = kib * 1024 }
        }
        guard let rss, let pss else { return nil }
        return ProcessMemory(residentBytes: rss, proportionalBytes: pss)
    }
}
