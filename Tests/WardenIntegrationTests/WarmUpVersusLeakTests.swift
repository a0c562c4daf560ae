import Foundation
import Testing

/// End to end (issue 12, item 5): the issue's exponential warm-up (τ = 3 min against the default 5 min
/// window and 1 min sustain), compressed 30× in time — τ = 6 s, window 10 s, sustain 2 s — beside a
/// linear leak of the same early slope (40 MiB / 6 s = 400 MiB/min), in one real `warden run` (small
/// sizes: the test machine is shared).
@Suite("Warm-up versus leak end to end", .serialized)
struct WarmUpVersusLeakTests {
    @Test("an exponential warm-up (τ = 3 min, compressed) is not restarted; a linear leak of the same early slope is")
    func warmUpSparedLeakRestarted() throws {
        func program(_ name: String, _ arguments: String) -> String {
            workloadProgram(name, arguments, window: "10s", sustain: "2s")
        }
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"
            sample_interval = "100ms"
            memory_pressure = "off"

            """ + program("warmup", #""warmup", "--mb", "40", "--tau", "6""#)
                + program("linear", #""leak", "--mb-per-min", "400", "--max-mb", "120""#))
        let started = Date()
        try waitFor("the linear leak to be restarted", timeout: 40) {
            warden.events().contains { $0["event"] as? String == "leak-restart" && $0["process"] as? String == "linear" }
        }
        let delay = Date().timeIntervalSince(started)
        #expect(delay <= 10 + 2 + 3, "within window + sustain (+ start-up): \(delay) s")
        let restart = try #require(warden.events().first { $0["event"] as? String == "leak-restart" })
        #expect(restart["reason"] as? String == "memory-growth")
        let rate = (restart["evidence"] as? [String: Any])?["rss_growth_mb_per_min"] as? Double ?? 0
        #expect(rate > 200, "the leak's rate: \(rate)")

        // Run the warm-up through 5 τ (99 % of its plateau) plus a window and a sustain past its fastest growth.
        let remaining = 30 - Date().timeIntervalSince(started)
        if remaining > 0 { Thread.sleep(forTimeInterval: remaining) }
        let status = try warden.status()
        #expect(status["warmup"]?["restarts"] as? Int == 0)
        #expect(status["warmup"]?["state"] as? String == "RUNNING")
        let grades = warden.events().filter { $0["event"] as? String == "severity-change" && $0["process"] as? String == "warmup" }
        #expect(grades.contains { $0["provisional"] == nil }, "the warm-up got a final grade: it was judged, not skipped")
        #expect(!warden.events().contains {
            ["leak-restart", "leak-alert"].contains($0["event"] as? String ?? "") && $0["process"] as? String == "warmup"
        })
        #expect(try warden.terminate() == 0)
    }
}
