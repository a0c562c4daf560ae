import Glibc
import WardenCore

/// Reads `HostMemory`'s inputs once per sampling round: `/proc/meminfo` and, when Warden runs in a cgroup
/// v2 with a memory limit, its `memory.max` and `memory.current` (the cgroup is looked up once, at init).
/// A few small reads (≈ 20 µs); call it off the cooperative pool, as the sampler does.
public struct HostMemoryReader: Sendable {
    private let cgroupDirectory: String?

    public init() {
        if let text = Self.read("/proc/self/cgroup").map({ String(decoding: $0, as: UTF8.self) }),
           let path = HostMemory.cgroupPath(procCgroup: text) {
            cgroupDirectory = "/sys/fs/cgroup" + (path == "/" ? "" : path)
        } else {
            cgroupDirectory = nil
        }
    }

    /// Bytes the host (or Warden's cgroup) can still give; `nil` when `/proc/meminfo` cannot be read.
    public func headroomBytes() -> UInt64? {
        let available = Self.read("/proc/meminfo").flatMap { HostMemory.memAvailable(meminfo: $0) }
        var limit: UInt64?, current: UInt64?
        if let directory = cgroupDirectory {
            limit = Self.read(directory + "/memory.max").flatMap { HostMemory.cgroupBytes(String(decoding: $0, as: UTF8.self)) }
            if limit != nil {
                current = Self.read(directory + "/memory.current").flatMap { HostMemory.cgroupBytes(String(decoding: $0, as: UTF8.self)) }
            }
        }
        return HostMemory.headroom(memAvailable: available, cgroupMax: limit, cgroupCurrent: current)
    }

    /// A small file's bytes (at most 16 KiB), `nil` when it cannot be read.
    static func read(_ path: String) -> [UInt8]? {
        var ok = false
        let bytes = [UInt8](unsafeUninitializedCapacity: 16 * 1024) { buffer, count in
            let read = ProcReader.readSmallFile(AT_FDCWD, path, into: buffer)
            ok = read != nil
            count = read ?? 0
        }
        return ok ? bytes : nil
    }
}
