import Foundation
import Testing

/// End to end: the first, provisional grade after a third of the leak window, marked in `status`, `status
/// --json` and `events.jsonl`; the countdown to it; one unit (MiB) in the table; restarts only after the final grade.
@Suite("Provisional leak grades end to end", .serialized)
struct ProvisionalGradeTests {
    @Test("a leak is graded critical provisionally at a third of the window, restarted only after its final grade; a flat worker's grade is confirmed")
    func provisionalThenFinal() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"
            sample_interval = "100ms"

            [programs.leaky]
            command = ["WORKLOAD", "leak", "--mb-per-min", "300"]
            start_seconds = "100ms"
            stop_timeout = "2s"
            restart = "always"
            [programs.leaky.leak]
            window = "9s"
            sustain = "1s"

            [programs.flat]
            command = ["WORKLOAD", "steady", "--mb", "5"]
            start_seconds = "100ms"
            [programs.flat.leak]
            window = "9s"
            """)
        // Warming up: the countdown to the first grade (a third of 9 s) and to the final one (two thirds).
        try waitFor("flat to run", timeout: 10) { try warden.state("flat") == "RUNNING" }
        let early = try #require(try warden.status()["flat"]?["leak"] as? [String: Any])
        if early["severity"] as? String == "warming-up" {
            let first = try #require(early["first_grade_in_seconds"] as? Double)
            let final = try #require(early["final_grade_in_seconds"] as? Double)
            #expect(first > 0 && first <= 3 && final > first && final <= 6, "\(early)")
        }

        // Provisional: graded, marked, never acted on.
        var seen: [String: Any] = [:]
        var table = ""
        try waitFor("leaky to be graded provisionally", timeout: 15) {
            let status = try warden.status()["leaky"]
            seen = status?["leak"] as? [String: Any] ?? [:]
            table = try warden.cli(["status", "leaky"]).stdout
            return seen["provisional"] as? Bool == true && seen["severity"] as? String == "critical"
        }
        #expect(seen["first_grade_in_seconds"] is NSNull)
        #expect((seen["final_grade_in_seconds"] as? Double ?? -1) >= 0)
        #expect((seen["rss_growth_mb_per_min"] as? Double ?? 0) >= 15)
        #expect(table.contains("(provisional") && table.contains("MiB/min") && !table.contains("MB/min"), "\(table)")

        try waitFor("leaky to be restarted", timeout: 30) {
            warden.events().contains { $0["event"] as? String == "leak-restart" && $0["process"] as? String == "leaky" }
        }
        try waitFor("flat's grade to be final", timeout: 15) {
            let leak = try warden.status()["flat"]?["leak"] as? [String: Any]
            return leak?["provisional"] as? Bool == false && leak?["severity"] as? String != "warming-up"
        }
        let flat = try #require(try warden.status()["flat"]?["leak"] as? [String: Any])
        #expect(flat["final_grade_in_seconds"] is NSNull && flat["first_grade_in_seconds"] is NSNull)

        // events.jsonl: leaky's first grade is provisional, and its leak-restart follows a final grade.
        let events = warden.events()
        let leaky = events.filter { $0["process"] as? String == "leaky" }
        let changes = leaky.filter { $0["event"] as? String == "severity-change" }
        #expect(changes.first?["provisional"] as? Bool == true, "\(changes)")
        let restartIndex = try #require(leaky.firstIndex { $0["event"] as? String == "leak-restart" })
        let lastChange = leaky[..<restartIndex].last { $0["event"] as? String == "severity-change" }
        #expect(lastChange?["provisional"] == nil && lastChange?["new_severity"] as? String == "critical", "\(leaky)")
        let flatChanges = events.filter { $0["process"] as? String == "flat" && $0["event"] as? String == "severity-change" }
        #expect(flatChanges.first?["provisional"] as? Bool == true && flatChanges.first?["reason"] as? String == "first-grade")
        #expect(flatChanges.contains { $0["reason"] as? String == "grade-confirmed" && $0["provisional"] == nil }, "\(flatChanges)")
        #expect(try warden.terminate() == 0)
    }
}
