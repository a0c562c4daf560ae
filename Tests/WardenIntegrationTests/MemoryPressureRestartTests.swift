import Foundation
import Testing

/// End to end: host memory pressure through a PSI file the test writes (`memory_pressure_file`; real host
/// pressure cannot be made safely), read by a real `warden run` once per sampling round.
@Suite("Memory pressure end to end", .serialized)
struct MemoryPressureRestartTests {
    /// `/proc/pressure/memory` as the kernel writes it, with `full avg10` = `full`.
    static func psi(full: Double) -> String {
        "some avg10=\(full * 1.5) avg60=\(full) avg300=\(full / 2) total=98765432\n"
            + "full avg10=\(full) avg60=\(full / 2) avg300=\(full / 4) total=45678901\n"
    }

    static func config(pressureFile: String) -> String {
        func program(_ name: String, _ arguments: String) -> String {
            workloadProgram(name, arguments, window: "5s", sustain: "30s")
        }
        return """
            [supervisor]
            state_dir = "state"
            sample_interval = "100ms"
            memory_pressure_file = "\(pressureFile)"
            memory_pressure_full = 20
            memory_pressure_sustain = "1s"
            memory_pressure_cooldown = "1m"

            """ + program("leaky", #""leak", "--mb-per-min", "120", "--max-mb", "60""#)
            + program("slow", #""leak", "--mb-per-min", "30", "--max-mb", "30""#)
            + program("steady", #""steady", "--mb", "5""#)
    }

    static func severity(_ warden: WardenProcess, _ name: String) throws -> String? {
        (try warden.status()[name]?["leak"] as? [String: Any])?["severity"] as? String
    }

    @Test("sustained full stalls restart the fastest critical grower once, gracefully, with the PSI figures and its rate; a slower critical one and a steady one are left alone")
    func pressureRestartsFastestCriticalGrower() throws {
        let warden = try WardenProcess(config: Self.config(pressureFile: "psi-memory"))
        let psiPath = warden.directory.appendingPathComponent("psi-memory").path
        try Self.psi(full: 0.4).write(toFile: psiPath, atomically: true, encoding: .utf8)
        let firstPID = try #require(try warden.processPID("leaky"))
        try waitFor("leaky and slow to be graded critical", timeout: 30) {
            try Self.severity(warden, "leaky") == "critical" && Self.severity(warden, "slow") == "critical"
        }
        let calm = try #require(try warden.health()["memory_pressure"] as? [String: Any])
        #expect(calm["state"] as? String == "calm" && calm["full_avg10"] as? Double == 0.4)
        #expect(!warden.events().contains { $0["event"] as? String == "leak-restart" }, "the 30 s sustain holds")

        try Self.psi(full: 45).write(toFile: psiPath, atomically: true, encoding: .utf8)
        try waitFor("a memory-pressure restart", timeout: 20) {
            warden.events().contains { $0["event"] as? String == "leak-restart" && $0["reason"] as? String == "memory-pressure" }
        }
        let restart = try #require(warden.events().first { $0["reason"] as? String == "memory-pressure" })
        #expect(restart["process"] as? String == "leaky")
        let message = restart["message"] as? String ?? ""
        #expect(message.hasPrefix("host memory pressure: full avg10 45.0 % (>= 20.0 %) for "), "\(message)")
        #expect(message.contains("fastest critical grower at +"), "\(message)")
        let evidence = try #require(restart["evidence"] as? [String: Any])
        #expect((evidence["rss_growth_mb_per_min"] as? Double ?? 0) > 60)
        let figures = try #require(evidence["memory_pressure"] as? [String: Any])
        #expect(figures["full_avg10"] as? Double == 45 && figures["some_avg10"] as? Double == 67.5)
        #expect(figures["full_total_us"] as? Int == 45_678_901 && figures["threshold_percent"] as? Double == 20)
        #expect((figures["stalled_seconds"] as? Double ?? 0) >= 1)

        // Graceful: the stop signal, then a new process; the reason and its figures in the status.
        try waitFor("leaky to run again", timeout: 20) {
            let status = try warden.status()["leaky"]
            return status?["state"] as? String == "RUNNING" && (status?["pid"] as? NSNumber)?.int32Value != firstPID
        }
        let status = try warden.status()
        #expect(status["leaky"]?["last_restart_reason"] as? String == "memory-pressure")
        let cause = status["leaky"]?["last_restart_cause"] as? String ?? ""
        #expect(cause.wholeMatch(of: #/memory-pressure \d+\.\d MiB\/min, full avg10 45\.0 %/#) != nil, "\(cause)")
        let stopped = warden.events().first {
            $0["event"] as? String == "state-change" && $0["process"] as? String == "leaky" && $0["new_state"] as? String == "STOPPING"
        }
        #expect(stopped?["reason"] as? String == "memory-pressure")

        // One victim per episode: pressure stays high, the slower critical grower is not restarted in the cool-down.
        Thread.sleep(forTimeInterval: 4)
        let health = try #require(try warden.health()["memory_pressure"] as? [String: Any])
        #expect(health["state"] as? String == "cooling-down" && health["last_victim"] as? String == "leaky")
        let later = try warden.status()
        #expect(later["slow"]?["restarts"] as? Int == 0 && later["steady"]?["restarts"] as? Int == 0)
        #expect(warden.events().filter { $0["reason"] as? String == "memory-pressure" && $0["event"] as? String == "leak-restart" }.count == 1)
        #expect(try warden.terminate() == 0)
    }

    @Test("without a PSI file nothing is restarted for pressure, /v1/health says unavailable and the log says why")
    func unavailableDoesNothing() throws {
        let warden = try WardenProcess(config: Self.config(pressureFile: "no-such-psi"))
        try waitFor("leaky to be graded critical", timeout: 30) { try Self.severity(warden, "leaky") == "critical" }
        Thread.sleep(forTimeInterval: 2)
        let health = try #require(try warden.health()["memory_pressure"] as? [String: Any])
        #expect(health["state"] as? String == "unavailable" && health["full_avg10"] == nil)
        #expect((health["file"] as? String ?? "").hasSuffix("/no-such-psi"))
        #expect(!warden.events().contains { $0["event"] as? String == "leak-restart" })
        let log = try String(contentsOfFile: warden.stderrPath, encoding: .utf8)
        #expect(log.contains("memory pressure:") && log.contains("restarts under host memory pressure are off"))
        #expect(try warden.terminate() == 0)
    }
}
