import Glibc

/// A few descriptors (of `/dev/null`) held back so that a full fd table — a flood of control connections,
/// a leak in Warden — cannot stop a spawn: when a spawn fails with EMFILE, the reserve is let go, the spawn
/// tried again, and the reserve taken back afterwards (as far as the table allows). Close-on-exec.
public final class FDReserve {
    private var held: [Int32] = []
    /// How many descriptors the reserve keeps when it can.
    public let size: Int

    public init(size: Int = 16) {
        self.size = size
        refill()
    }

    /// Descriptors held now.
    public var count: Int { held.count }

    /// Closes every held descriptor, making room in the table.
    public func release() {
        for fd in held { close(fd) }
        held.removeAll()
    }

    /// Takes descriptors again up to `size`, stopping at the first that cannot be had.
    public func refill() {
        while held.count < size {
            let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return }
            held.append(fd)
        }
    }

    deinit { release() }
}
