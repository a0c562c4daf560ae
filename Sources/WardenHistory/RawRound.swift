/// One sampling round of every process as one BLOB row of the raw tier: fixed-width entries sorted by
/// process id, so a query for one process finds its entry by binary search without decoding the rest.
///
/// Why one row per round and not one per process: the rows of one process sit together in the B-tree, so
/// per-process rows would dirty one page per process per round (500 pages, 2 MB of WAL, each second);
/// one row per round appends a few pages.
///
/// Entry (24 bytes, little-endian): process id u16, rss and tree rss in 4 KiB pages u32 (RSS is whole
/// pages; 16 TiB at most), fds u32, threads u16, severity rank u8, flags u8 (bit 0: cpu present, bit 1:
/// growth present), cpu in tenths of a percent u16, growth MiB/min f32.
struct RawEntry: Sendable, Equatable {
    var process: Int
    var rss: UInt64
    var treeRSS: UInt64
    var fds: Int
    var threads: Int
    var severity: Int
    var cpu: Double?
    var growth: Double?

    static let width = 24

    /// `entries` as a BLOB (sorted by process id here).
    static func encode(_ entries: [RawEntry]) -> [UInt8] {
        let ordered = zip(entries, entries.dropFirst()).allSatisfy { $0.process <= $1.process }
            ? entries : entries.sorted { $0.process < $1.process }
        return [UInt8](unsafeUninitializedCapacity: ordered.count * width) { buffer, count in
            let bytes = UnsafeMutableRawBufferPointer(buffer)
            var offset = 0
            func put<T: FixedWidthInteger>(_ value: T) {
                bytes.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
                offset += MemoryLayout<T>.size
            }
            for entry in ordered {
                put(UInt16(truncatingIfNeeded: entry.process))
                put(UInt32(clamping: entry.rss / 4096))
                put(UInt32(clamping: entry.treeRSS / 4096))
                put(UInt32(clamping: entry.fds))
                put(UInt16(clamping: entry.threads))
                put(UInt8(clamping: entry.severity))
                put(UInt8((entry.cpu == nil ? 0 : 1) | (entry.growth == nil ? 0 : 2)))
                put(UInt16(clamping: Int(((entry.cpu ?? 0) * 10).rounded())))
                put(Float(entry.growth ?? 0).bitPattern)
            }
            count = offset
        }
    }

    /// The entry of `process` in a BLOB made by `encode`, or nil (absent, or a malformed BLOB).
    static func find(_ process: Int, in bytes: some RandomAccessCollection<UInt8>) -> RawEntry? {
        guard bytes.count % width == 0 else { return nil }
        let base = bytes.startIndex
        func read<T: FixedWidthInteger>(_ type: T.Type, _ offset: Int) -> T {
            var value: T = 0
            for i in 0..<MemoryLayout<T>.size {
                value |= T(bytes[bytes.index(base, offsetBy: offset + i)]) << (8 * i)
            }
            return value
        }
        var low = 0, high = bytes.count / width - 1
        while low <= high {
            let middle = (low + high) / 2
            let offset = middle * width
            let id = Int(read(UInt16.self, offset))
            if id < process { low = middle + 1; continue }
            if id > process { high = middle - 1; continue }
            let flags = read(UInt8.self, offset + 17)
            return RawEntry(
                process: id, rss: UInt64(read(UInt32.self, offset + 2)) * 4096,
                treeRSS: UInt64(read(UInt32.self, offset + 6)) * 4096,
                fds: Int(read(UInt32.self, offset + 10)), threads: Int(read(UInt16.self, offset + 14)),
                severity: Int(read(UInt8.self, offset + 16)),
                cpu: flags & 1 != 0 ? Double(read(UInt16.self, offset + 18)) / 10 : nil,
                growth: flags & 2 != 0 ? Double(Float(bitPattern: read(UInt32.self, offset + 20))) : nil)
        }
        return nil
    }
}
