public import WardenCore

/// Reads the memory pressure stall information (`/proc/pressure/memory`, or the file
/// `memory_pressure_file` names) once per sampling round: one small read (≈ 10 µs); call it off the
/// cooperative pool, as the sampler does.
public struct PressureReader: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// The reading, or `nil` when the file is absent (a kernel without PSI, a container that hides it),
    /// unreadable or not in PSI's format.
    public func read() -> MemoryPressure? {
        HostMemoryReader.read(path).flatMap { MemoryPressure(text: String(decoding: $0, as: UTF8.self)) }
    }
}
