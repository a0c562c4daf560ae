import Testing
import WardenCore

@Suite("Duration and size text")
struct UnitsTests {
    @Test("durations parse with units", arguments: [
        ("250ms", Duration.milliseconds(250)), ("10s", .seconds(10)), ("5m", .seconds(300)),
        ("1h", .seconds(3600)), ("1m30s", .seconds(90)), ("0s", .zero), ("1.5s", .milliseconds(1500)),
    ])
    func durations(text: String, expected: Duration) throws {
        #expect(try DurationText.parse(text) == expected)
    }

    @Test("durations without a unit or with a bad unit are rejected", arguments: ["10", "", "5 s", "3x", "-1s", "s", "200000000d"])
    func badDurations(text: String) {
        #expect(throws: DurationText.ParseError.self) { try DurationText.parse(text) }
    }

    @Test("sizes use powers of 1000 and 1024", arguments: [
        ("512KB", UInt64(512_000)), ("200MB", 200_000_000), ("1GB", 1_000_000_000),
        ("512KiB", 524_288), ("1GiB", 1_073_741_824), ("4096B", 4096),
    ])
    func sizes(text: String, bytes: UInt64) throws {
        #expect(try ByteSize.parse(text).bytes == bytes)
    }

    @Test("a bare number size demands a unit")
    func bareSize() {
        #expect { try ByteSize.parse("100") } throws: { error in
            (error as? ByteSize.ParseError)?.description.contains("no unit") == true
        }
    }

    @Test("durations format back")
    func format() {
        #expect(DurationText.format(.seconds(300)) == "5m")
        #expect(DurationText.format(.milliseconds(1500)) == "1500ms")
    }
}
