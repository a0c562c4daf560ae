import Testing
import WardenCore
@testable import WardenConfig

/// `loop_restarts`, `loop_window`, `alert_quiet`, `on_loop` of a `[programs.NAME]` table.
@Suite("ConfigLoader: restart-loop keys")
struct RestartLoopConfigTests {
    @Test("defaults: 5 within 10 min, quiet = the window, keep restarting; given keys are typed; quiet follows the window")
    func valid() throws {
        #expect(parseValid(minimalProgram)?.programs.first?.restartLoop == RestartLoopPolicy(restarts: 5, windowSeconds: 600))
        let full = try #require(parseValid(minimalProgram + """

            loop_restarts = 3
            loop_window = "30s"
            alert_quiet = "1m"
            on_loop = "stop"
            """)?.programs.first)
        #expect(full.restartLoop == RestartLoopPolicy(restarts: 3, windowSeconds: 30, quietSeconds: 60, stopOnLoop: true))
        let windowOnly = try #require(parseValid(minimalProgram + "\nloop_window = \"2m\"\nloop_restarts = 0")?.programs.first)
        #expect(windowOnly.restartLoop.quietSeconds == 120 && windowOnly.restartLoop.restarts == 0)
    }

    @Test("bad values: each a FILE:LINE:key diagnostic")
    func invalid() throws {
        let cases: [(String, String, String)] = [
            ("loop_restarts = -1", "programs.api.loop_restarts", "between 0 and 1000000"),
            ("loop_restarts = 1", "programs.api.loop_restarts", "must be 0 (off) or at least 2"),
            ("loop_window = \"0s\"", "programs.api.loop_window", "greater than zero"),
            ("alert_quiet = 10", "programs.api.alert_quiet", "has no unit"),
            ("on_loop = \"restart\"", "programs.api.on_loop", "expected \"alert\" or \"stop\""),
        ]
        for (line, key, words) in cases {
            let diagnostic = try #require(onlyDiagnostic(of: minimalProgram + "\n" + line), "\(line)")
            #expect(diagnostic.line == 3 && diagnostic.key == key, "\(line): \(diagnostic)")
            #expect(diagnostic.message.contains(words), "\(line): \(diagnostic.message)")
            #expect(diagnostic.description.hasPrefix(fixtureFile + ":3:"), "\(diagnostic.description)")
        }
    }
}
