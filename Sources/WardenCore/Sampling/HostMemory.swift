/// How much memory the host can still give Warden's workers: `MemAvailable` of `/proc/meminfo`, or less
/// when Warden's cgroup (v2) has a `memory.max` — its workers are in that cgroup too, so the cgroup's room
/// is what they can use before its OOM killer acts. The parsing is pure; `HostMemoryReader` (WardenLinux)
/// reads the files.
public enum HostMemory {
    /// `MemAvailable` of a `/proc/meminfo` text (`MemAvailable:   123456 kB`), bytes.
    public static func memAvailable(meminfo: some Collection<UInt8>) -> UInt64? {
        let text = String(decoding: meminfo, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.dropFirst("MemAvailable:".count).split(separator: " ")
            guard let value = fields.first.flatMap({ UInt64($0) }) else { return nil }
            return fields.dropFirst().first == "kB" ? value * 1024 : value
        }
        return nil
    }

    /// The cgroup v2 path of a `/proc/self/cgroup` text (the `0::/PATH` line), or `nil` (cgroup v1 only).
    public static func cgroupPath(procCgroup: String) -> String? {
        for line in procCgroup.split(separator: "\n") where line.hasPrefix("0::") {
            return String(line.dropFirst(3))
        }
        return nil
    }

    /// A cgroup v2 `memory.max` or `memory.current` value, bytes; `nil` for `max` (no limit) or junk.
    public static func cgroupBytes(_ text: String) -> UInt64? {
        UInt64(text.trimmingWhitespace)
    }

    /// The room left: `memAvailable`, or the cgroup's `max - current` when that is smaller.
    public static func headroom(memAvailable: UInt64?, cgroupMax: UInt64?, cgroupCurrent: UInt64?) -> UInt64? {
        var room = memAvailable
        if let cgroupMax, let cgroupCurrent {
            let cgroupRoom = cgroupMax > cgroupCurrent ? cgroupMax - cgroupCurrent : 0
            room = min(room ?? cgroupRoom, cgroupRoom)
        }
        return room
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    fileprivate var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
