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

    @Test("an estimate reads in the unit a human uses: seconds, minutes, hours and minutes, days and hours",
          arguments: [(0.2, "~1 s"), (40, "~40 s"), (119.5, "~120 s"), (240, "~4 min"), (7140, "~119 min"),
                      (9493, "~2 h 38 min"), (7200, "~2 h"), (200_000, "~2 d 8 h"), (172_800, "~2 d"),
                      (-5, "~0 s"), (.infinity, "~0 s")])
    func approximate(seconds: Double, text: String) {
        #expect(DurationText.approximate(seconds: seconds) == text)
    }

    @Test("a forecast of 9493 s reads in hours and minutes")
    func forecastText() {
        let forecast = MemoryForecast(limit: .rssMax, seconds: 9493, rateMBPerMinute: 2)
        #expect(forecast.summary == "rss_max in ~2 h 38 min at +2.0 MiB/min")
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
