import Foundation
import Testing

/// End to end: a real `warden run` with short windows (sample 100 ms, window 5 s, sustain 1 s).
@Suite("Leak detection end to end", .serialized)
struct LeakRestartTests {
    /// A Warden sampling every 100 ms running one program `name` (the workload with `arguments`, restarted
    /// always), its leak window 5 s plus the `leak` lines.
    static func sampledEvery100ms(_ name: String, _ arguments: String, leak: String) throws -> WardenProcess {
        try WardenProcess(config: """
            [supervisor]
            state_dir = "state"
            sample_interval = "100ms"

            [programs.\(name)]
            command = ["WORKLOAD", \(arguments)]
            start_seconds = "100ms"
            restart = "always"
            [programs.\(name).leak]
            window = "5s"
            \(leak)
            """)
    }

    @Test("a leaking worker is restarted for memory-growth; plateau, sawtooth and step workers are not")
    func leakRestartedOthersNot() throws {
        let leak = """
            [programs.%@.leak]
            window = "5s"
            sustain = "1s"
            """
        func section(_ name: String, _ args: String) -> String {
            """
            [programs.\(name)]
            command = ["WORKLOAD", \(args)]
            start_seconds = "200ms"
            stop_timeout = "2s"
            restart = "always"
            \(leak.replacingOccurrences(of: "%@", with: name))

            """
        }
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"
            sample_interval = "100ms"
            shutdown_timeout = "10s"

            """ + section("leaky", #""leak", "--mb-per-min", "900""#)
                + section("plateau", #""plateau", "--mb", "80", "--seconds", "1""#)
                + section("sawtooth", #""sawtooth", "--mb", "60", "--period", "2""#)
                + section("step", #""step", "--mb", "80", "--after", "2""#))
        let firstPID = try #require(try warden.processPID("leaky"))

        try waitFor("leaky to be restarted", timeout: 30) {
            warden.events().contains { $0["event"] as? String == "leak-restart" && $0["process"] as? String == "leaky" }
        }
        try waitFor("leaky to run again", timeout: 30) {
            let status = try warden.status()["leaky"]
            return status?["state"] as? String == "RUNNING" && (status?["pid"] as? NSNumber)?.int32Value != firstPID
        }
        let status = try warden.status()
        #expect(status["leaky"]?["last_restart_reason"] as? String == "memory-growth")
        // REASON carries the rate: "memory-growth 861.3 MiB/min".
        let cause = status["leaky"]?["last_restart_cause"] as? String ?? ""
        #expect(cause.wholeMatch(of: #/memory-growth \d+\.\d MiB\/min/#) != nil, "\(cause)")
        #expect(try warden.cli(["status", "leaky"]).stdout.contains(cause))
        #expect((status["leaky"]?["restarts"] as? Int ?? 0) >= 1)
        #expect(!isAlive(firstPID))

        let restart = try #require(warden.events().first { $0["event"] as? String == "leak-restart" })
        #expect(restart["reason"] as? String == "memory-growth")
        let evidence = try #require(restart["evidence"] as? [String: Any])
        #expect((evidence["rss_growth_mb_per_min"] as? Double ?? 0) >= 15)
        #expect((evidence["samples"] as? Int ?? 0) > 5)
        #expect(evidence["rss_bytes"] != nil && evidence["window_seconds"] != nil)
        #expect(restart["time"] as? String != nil)

        // Let the non-leaking shapes run past a whole window + sustain after their warm-up.
        Thread.sleep(forTimeInterval: 8)
        let later = try warden.status()
        for name in ["plateau", "sawtooth", "step"] {
            #expect(later[name]?["restarts"] as? Int == 0, "\(name) was restarted")
            #expect(later[name]?["state"] as? String == "RUNNING")
            let leakInfo = later[name]?["leak"] as? [String: Any]
            #expect(leakInfo?["severity"] as? String != "warming-up", "\(name) never left warm-up")
        }
        #expect(!warden.events().contains {
            $0["event"] as? String == "leak-restart" && ["plateau", "sawtooth", "step"].contains($0["process"] as? String ?? "")
        })
        #expect(try warden.terminate() == 0)
    }

    @Test("with numprocs > 1, at most one instance of a program is restarted for a leak at a time")
    func oneLeakRestartAtATime() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"
            sample_interval = "100ms"

            [programs.leaky]
            command = ["WORKLOAD", "leak", "--mb-per-min", "900"]
            numprocs = 3
            start_seconds = "100ms"
            stop_timeout = "3s"
            restart = "always"
            [programs.leaky.leak]
            window = "3s"
            sustain = "200ms"
            """)
        try waitFor("every instance restarted once", timeout: 60) {
            Set(warden.events().filter { $0["event"] as? String == "leak-restart" }.compactMap { $0["process"] as? String }).count == 3
        }
        // Replay the log: between an instance's leak-restart and its return to RUNNING, no other
        // instance may get a leak-restart.
        var inProgress: String?
        for event in warden.events() {
            let name = event["process"] as? String
            if event["event"] as? String == "leak-restart" {
                #expect(inProgress == nil, "\(name ?? "?") restarted while \(inProgress ?? "") was restarting")
                inProgress = name
            } else if event["event"] as? String == "state-change", name == inProgress,
                      event["new_state"] as? String == "RUNNING" {
                inProgress = nil
            }
        }
        #expect(try warden.terminate() == 0)
    }

    @Test("tree CPU % counts short-lived children: a shell running busy commands one after another is busy")
    func cpuOfShortLivedChildren() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"
            sample_interval = "200ms"

            [programs.looper]
            command = ["sh", "-c", "while :; do timeout 0.3 sh -c 'while :; do :; done'; done"]
            start_seconds = "100ms"
            """)
        // Each busy child lives 0.3 s, less than the 1 s between two CPU readings (every 5th round): it is
        // rarely seen alive, and its CPU reaches the tree through its parent's cutime/cstime.
        var cpu = 0.0
        try waitFor("cpu_percent over 20", timeout: 15) {
            cpu = (try warden.status()["looper"]?["cpu_percent"] as? NSNumber)?.doubleValue ?? 0
            return cpu > 20
        }
        #expect(cpu > 20)
        #expect(try warden.terminate() == 0)
    }

    @Test("a leak that would pass rss_max before its sustain ends is restarted at once, with the forecast in its message")
    func forecastBeforeSustain() throws {
        // 900 MiB/min from ~10 MB: critical ~3 s in, 400 MB some 25 s later; the sustain alone would wait 30 s
        // and rss_max's own clock another 30 s after that.
        let warden = try Self.sampledEvery100ms("leaky", #""leak", "--mb-per-min", "900""#, leak: """
            sustain = "30s"
            rss_max = "400MB"
            """)
        let started = Date()
        try waitFor("memory-growth restart", timeout: 25) {
            warden.events().contains { $0["event"] as? String == "leak-restart" && $0["reason"] as? String == "memory-growth" }
        }
        #expect(Date().timeIntervalSince(started) < 25, "before the 30 s sustain")
        let restart = try #require(warden.events().first { $0["event"] as? String == "leak-restart" })
        let message = restart["message"] as? String ?? ""
        #expect(message.contains("rss_max in ~") && message.contains("acted before the 30 s sustain"), "\(message)")
        #expect(try warden.terminate() == 0)
    }

    @Test("fds_max exceeded for sustain restarts with reason fds-max")
    func fdsMax() throws {
        let warden = try Self.sampledEvery100ms("fds", #""fdleak", "--per-sec", "100""#, leak: """
            sustain = "500ms"
            fds_max = 120
            """)
        try waitFor("fds-max restart", timeout: 20) {
            warden.events().contains { $0["event"] as? String == "leak-restart" && $0["reason"] as? String == "fds-max" }
        }
        try waitFor("status to show it", timeout: 10) {
            try warden.status()["fds"]?["last_restart_reason"] as? String == "fds-max"
        }
        #expect(try warden.terminate() == 0)
    }

    @Test("graded growth shows its forecast before any restart: status --json, /v1/processes/NAME, the table and the severity-change event")
    func memoryForecastShownBeforeRestart() throws {
        // 8 MiB/min is graded (medium) but never restarts; rss_max 200 MB is minutes away.
        let warden = try Self.sampledEvery100ms("grower", #""leak", "--mb-per-min", "8", "--max-mb", "60""#,
                                                leak: "rss_max = \"200MB\"")
        var forecast: [String: Any] = [:]
        try waitFor("a final grade with its forecast", timeout: 30) {
            let process = try warden.getJSON("/v1/processes/grower")
            forecast = (process["forecast"] as? [String: Any]) ?? [:]
            return forecast["limit"] as? String == "rss_max"
        }
        let summary = forecast["summary"] as? String ?? ""
        #expect(summary.wholeMatch(of: #/rss_max in ~\d+ min at \+\d+\.\d MiB\/min/#) != nil, "\(summary)")
        #expect(forecast["rate_unit"] as? String == "MiB/min" && (forecast["seconds"] as? Double ?? 0) > 300)
        let table = try warden.cli(["status"]).stdout
        #expect(table.contains("FORECAST") && table.contains("rss_max in ~"), "\(table)")
        let graded = warden.events().last { $0["event"] as? String == "severity-change" && $0["process"] as? String == "grower" }
        let evidence = graded?["evidence"] as? [String: Any]
        #expect((evidence?["forecast"] as? String ?? "").hasPrefix("rss_max in ~"), "\(String(describing: graded))")
        #expect(!warden.events().contains { $0["event"] as? String == "leak-restart" })
        #expect(try warden.terminate() == 0)
    }
}
