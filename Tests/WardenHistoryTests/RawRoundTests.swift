import Testing
@testable import WardenHistory

@Suite("Raw rounds: one BLOB per sampling round")
struct RawRoundTests {
    @Test("every entry is found again by binary search, whatever the order it was given in; others are absent")
    func roundTrip() {
        // RSS is whole pages; CPU in tenths of a percent; growth a float.
        let entries = [7, 3, 65_000, 1, 42].map { id in
            RawEntry(process: id, rss: UInt64(id) * 4_096, treeRSS: UInt64(4_000_000_000 - id) * 4_096, fds: id % 1_000,
                     threads: id % 60_000, severity: id % 6, cpu: id.isMultiple(of: 2) ? nil : Double(id % 100) / 10,
                     growth: id == 3 ? nil : -1.5)
        }
        let blob = RawEntry.encode(entries)
        #expect(blob.count == entries.count * RawEntry.width)
        for entry in entries { #expect(RawEntry.find(entry.process, in: blob) == entry) }
        for absent in [0, 2, 8, 64_999, 65_535] { #expect(RawEntry.find(absent, in: blob) == nil) }
        #expect(RawEntry.find(7, in: blob.dropLast()) == nil, "a truncated BLOB is refused, not misread")
        #expect(RawEntry.find(7, in: [UInt8]()) == nil)
    }
}
