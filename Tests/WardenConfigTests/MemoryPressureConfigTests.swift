import Testing
import WardenCore
@testable import WardenConfig

/// `memory_pressure`, `memory_pressure_full`, `memory_pressure_sustain`, `memory_pressure_cooldown` and
/// `memory_pressure_file` of `[supervisor]`.
@Suite("ConfigLoader: memory pressure keys")
struct MemoryPressureConfigTests {
    @Test("defaults: on, full avg10 >= 20 % for 10 s, 2 min cool-down, /proc/pressure/memory; given keys are typed")
    func valid() throws {
        #expect(parseValid(minimalProgram)?.supervisor.memoryPressure == MemoryPressurePolicy(
            enabled: true, fullAvg10Percent: 20, sustain: .seconds(10), cooldown: .seconds(120), file: "/proc/pressure/memory"))
        let given = try #require(parseValid("""
            [supervisor]
            memory_pressure = "restart"
            memory_pressure_full = 35.5
            memory_pressure_sustain = "30s"
            memory_pressure_cooldown = "5m"
            memory_pressure_file = "psi/memory"

            """ + minimalProgram)?.supervisor.memoryPressure)
        #expect(given == MemoryPressurePolicy(enabled: true, fullAvg10Percent: 35.5, sustain: .seconds(30),
                                              cooldown: .seconds(300), file: "/etc/warden/psi/memory"))
        let off = try #require(parseValid("[supervisor]\nmemory_pressure = \"off\"\n" + minimalProgram))
        #expect(off.supervisor.memoryPressure.enabled == false)
    }

    @Test("bad values: each a FILE:LINE:key diagnostic")
    func invalid() throws {
        let cases: [(String, String, String)] = [
            ("memory_pressure = \"kill\"", "supervisor.memory_pressure", "expected \"restart\" or \"off\""),
            ("memory_pressure_full = 0", "supervisor.memory_pressure_full", "above 0 and at most 100"),
            ("memory_pressure_full = 120", "supervisor.memory_pressure_full", "above 0 and at most 100"),
            ("memory_pressure_full = \"20\"", "supervisor.memory_pressure_full", "without quotes"),
            ("memory_pressure_sustain = \"0s\"", "supervisor.memory_pressure_sustain", "greater than zero"),
            ("memory_pressure_cooldown = 60", "supervisor.memory_pressure_cooldown", "has no unit"),
            ("memory_pressure_file = \"\"", "supervisor.memory_pressure_file", "must not be empty"),
        ]
        for (line, key, words) in cases {
            let diagnostic = try #require(onlyDiagnostic(of: "[supervisor]\n" + line + "\n" + minimalProgram), "\(line)")
            #expect(diagnostic.line == 2 && diagnostic.key == key, "\(line): \(diagnostic)")
            #expect(diagnostic.message.contains(words), "\(line): \(diagnostic.message)")
            #expect(diagnostic.description.hasPrefix(fixtureFile + ":2:"), "\(diagnostic.description)")
        }
    }
}
