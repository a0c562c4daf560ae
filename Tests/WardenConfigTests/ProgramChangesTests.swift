import Testing
import WardenConfig
import WardenCore

/// `warden reload`'s per-program lines, from two parsed configurations.
@Suite("ProgramChanges: what a reload changed, by key")
struct ProgramChangesTests {
    static func program(_ table: String) -> ProgramConfiguration? {
        parseValid("[programs.web]\n" + table)?.programs.first
    }

    @Test("numprocs shows both counts; command, directory and environment only say they changed")
    func keys() throws {
        let old = try #require(Self.program("command = [\"app\", \"--port\", \"1\"]\nnumprocs = 2\nenvironment = { TOKEN = \"s3cret\" }"))
        let more = try #require(Self.program("command = [\"app\", \"--port\", \"1\"]\nnumprocs = 3\nenvironment = { TOKEN = \"s3cret\" }"))
        #expect(ProgramChanges.line(from: old, to: more) == "web: numprocs 2 → 3")
        let other = try #require(Self.program("command = [\"app\", \"--port\", \"2\"]\nnumprocs = 2\nenvironment = { TOKEN = \"other\" }"))
        let line = ProgramChanges.line(from: old, to: other)
        #expect(line == "web: command changed, environment changed")
        #expect(!line.contains("s3cret") && !line.contains("other") && !line.contains("--port"))
        #expect(ProgramChanges.list(from: old, to: old).isEmpty)
    }

    @Test("durations, enums, thresholds and limits show old → new in the config's own words")
    func scalars() throws {
        let old = try #require(Self.program("command = [\"app\"]\n[programs.web.leak]\ncritical = 15"))
        let new = try #require(Self.program("""
            command = ["app"]
            stop_timeout = "20s"
            restart = "never"
            stop_signal = "INT"
            [programs.web.leak]
            critical = 20.5
            rss_max = "1GiB"
            """))
        #expect(ProgramChanges.list(from: old, to: new) == [
            "restart on-failure → never", "stop_signal TERM → INT", "stop_timeout 10s → 20s",
            "leak.critical 15 → 20.5", "leak.rss_max none → 1.0 GiB",
        ])
    }

    @Test("a collector's synthesized program: its settings only say they changed")
    func collector() throws {
        let old = try #require(Self.program("command = [\"app\"]"))
        var new = old
        new.collector = CollectorConfiguration(name: "redis", plugin: "/bin/true")
        #expect(ProgramChanges.list(from: old, to: new) == ["collector changed"])
    }
}
