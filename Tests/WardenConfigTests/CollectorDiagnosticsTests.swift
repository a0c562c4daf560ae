import Testing
import WardenCore
@testable import WardenConfig

/// `[collectors.NAME]` problems: each at its line and key, all at once, and never a `config` value.
@Suite("ConfigLoader: collector diagnostics")
struct CollectorDiagnosticsTests {
    /// The one diagnostic of a collector section whose line 3 (after the header and plugin) is `line`.
    static func problem(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) -> Diagnostic? {
        onlyDiagnostic(of: "[collectors.pg]\nplugin = \"p\"\n\(line)\n", sourceLocation: sourceLocation)
    }

    /// The one diagnostic of a thresholds table whose line 4 is `line`.
    static func thresholdProblem(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) -> Diagnostic? {
        onlyDiagnostic(of: "[collectors.pg]\nplugin = \"p\"\n[collectors.pg.thresholds]\n\(line)\n", sourceLocation: sourceLocation)
    }

    @Test("an unknown collector key gets a suggestion, at its line")
    func unknownKey() throws {
        let diagnostic = try #require(Self.problem("intervall = \"5s\""))
        #expect(diagnostic.description == #"/etc/warden/warden.toml:3: collectors.pg.intervall: unknown key "intervall"; did you mean "interval"?"#)
    }

    @Test("an unknown threshold key gets a suggestion, at its line")
    func unknownThresholdKey() throws {
        let diagnostic = try #require(Self.thresholdProblem("high_usge = 0.8"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 4, key: "collectors.pg.thresholds.high_usge",
                                         message: #"unknown key "high_usge"; did you mean "high_usage"?"#))
    }

    @Test("a missing plugin is reported at the collector's header")
    func missingPlugin() throws {
        let diagnostic = try #require(onlyDiagnostic(of: minimalProgram + "\n\n[collectors.pg]\ninterval = \"5s\"\n"))
        #expect(diagnostic.line == 4)
        #expect(diagnostic.key == "collectors.pg.plugin")
        #expect(diagnostic.message.hasPrefix("missing required key"))
    }

    @Test("plugin must be a non-empty string", arguments: [
        ("plugin = 3", "expected string (an executable name or path), got an integer"),
        ("plugin = \"\"", "must not be empty; write e.g. plugin = \"warden-collector-postgres\""),
    ])
    func badPlugin(line: String, message: String) throws {
        let diagnostic = try #require(onlyDiagnostic(of: "[collectors.pg]\n\(line)\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 2, key: "collectors.pg.plugin", message: message))
    }

    @Test("timeout must be less than interval, given or default")
    func timeoutNotBelowInterval() throws {
        let given = try #require(onlyDiagnostic(of: "[collectors.pg]\nplugin = \"p\"\ninterval = \"5s\"\ntimeout = \"5s\"\n"))
        #expect(given == Diagnostic(file: fixtureFile, line: 4, key: "collectors.pg.timeout", message: "must be less than interval (5s), got 5s"))
        let byDefault = try #require(Self.problem("timeout = \"1m\""))
        #expect(byDefault.line == 3 && byDefault.key == "collectors.pg.timeout")
        #expect(byDefault.message == "must be less than interval (10s, the default), got 1m")
    }

    @Test("durations need a unit and must be positive")
    func durations() throws {
        let bare = try #require(Self.problem("interval = 10"))
        #expect(bare.key == "collectors.pg.interval" && bare.line == 3 && bare.message.contains("has no unit"))
        let zero = try #require(Self.thresholdProblem("long_running = \"0s\""))
        #expect(zero.key == "collectors.pg.thresholds.long_running" && zero.line == 4)
        #expect(zero.message == "must be greater than zero, got \"0s\"")
    }

    @Test("usage thresholds are fractions in (0, 1]", arguments: [
        ("high_usage = 80", "high_usage", "must be a fraction in (0, 1], got 80; write 0.8 for 80 %"),
        ("exhaustion = 0", "exhaustion", "must be a fraction in (0, 1], got 0"),
        ("exhaustion = 1.5", "exhaustion", "must be a fraction in (0, 1], got 1.5; write 0.015 for 1.5 %"),
        ("leak_growth = -0.1", "leak_growth", "must be a fraction in (0, 1], got -0.1"),
        ("high_usage = \"0.8\"", "high_usage", "expected number (a fraction in (0, 1]), got a string; write 0.8 without quotes"),
    ])
    func fractions(line: String, key: String, message: String) throws {
        let diagnostic = try #require(Self.thresholdProblem(line))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 4, key: "collectors.pg.thresholds.\(key)", message: message))
    }

    @Test("exhaustion must be >= high_usage, reported at the key that was written")
    func usageOrder() throws {
        let both = try #require(onlyDiagnostic(of: """
            [collectors.pg]
            plugin = "p"
            [collectors.pg.thresholds]
            high_usage = 0.9
            exhaustion = 0.85
            """))
        #expect(both == Diagnostic(file: fixtureFile, line: 5, key: "collectors.pg.thresholds.exhaustion",
                                   message: "must be >= high_usage (0.9), got 0.85"))
        let highOnly = try #require(Self.thresholdProblem("high_usage = 0.97"))
        #expect(highOnly == Diagnostic(file: fixtureFile, line: 4, key: "collectors.pg.thresholds.high_usage",
                                       message: "must be <= exhaustion (0.95, the default), got 0.97"))
        let exhaustionOnly = try #require(Self.thresholdProblem("exhaustion = 0.5"))
        #expect(exhaustionOnly.message == "must be >= high_usage (0.8, the default), got 0.5")
    }

    @Test("check counts and the minimum count are positive integers", arguments: [
        ("leak_checks = 0", "leak_checks", "must be between 1 and 100, got 0"),
        ("high_usage_checks = 101", "high_usage_checks", "must be between 1 and 100, got 101"),
        ("leak_min_connections = 0", "leak_min_connections", "must be between 1 and 1000000, got 0"),
        ("leak_checks = 2.5", "leak_checks", "expected integer, got floating-point number 2.5"),
    ])
    func integers(line: String, key: String, message: String) throws {
        let diagnostic = try #require(Self.thresholdProblem(line))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 4, key: "collectors.pg.thresholds.\(key)", message: message))
    }

    @Test("connection_leak is restart or alert")
    func connectionLeakChoice() throws {
        let diagnostic = try #require(onlyDiagnostic(of: minimalProgram + "\n[programs.api.leak]\nconnection_leak = \"kill\"\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 4, key: "programs.api.leak.connection_leak",
                                         message: #"invalid value "kill"; expected "restart" or "alert""#))
    }

    @Test("an invalid collector name is refused")
    func badName() throws {
        let diagnostic = try #require(onlyDiagnostic(of: "[collectors.\"my pg\"]\nplugin = \"p\"\n"))
        #expect(diagnostic.line == 1 && diagnostic.key == "collectors.\"my pg\"")
        #expect(diagnostic.message.hasPrefix("invalid collector name"))
    }

    @Test("collectors and a collector must be tables; the value is not shown")
    func notTables() throws {
        let root = try #require(onlyDiagnostic(of: "collectors = \"postgres://u:topsecret@h/db\"\n"))
        #expect(root == Diagnostic(file: fixtureFile, line: 1, key: "collectors",
                                   message: "expected table, got a string; write one [collectors.NAME] table per collector"))
        let one = try #require(onlyDiagnostic(of: "[collectors]\npg = \"postgres://u:topsecret@h/db\"\n"))
        #expect(one.line == 2 && one.key == "collectors.pg" && !one.description.contains("topsecret"))
    }

    @Test("a config that is not a table is refused without showing it")
    func configNotTable() throws {
        let diagnostic = try #require(Self.problem("config = \"postgres://appuser:topsecret@127.0.0.1/db\""))
        #expect(diagnostic.line == 3 && diagnostic.key == "collectors.pg.config")
        #expect(diagnostic.message.hasPrefix("expected table"))
        #expect(!diagnostic.description.contains("topsecret"))
        #expect(!diagnostic.description.contains("appuser"))
    }

    @Test("a date inside config is refused by its key, without its value")
    func configDate() throws {
        let diagnostic = try #require(Self.problem("config = { url = \"postgres://u:topsecret@h/db\", since = 1979-05-27 }"))
        #expect(diagnostic.line == 3 && diagnostic.key == "collectors.pg.config.since")
        #expect(diagnostic.message.contains("cannot carry; quote it as a string"))
        #expect(!diagnostic.description.contains("1979") && !diagnostic.description.contains("topsecret"))
    }

    @Test("every problem is reported at once, and no diagnostic contains the password from config")
    func allAtOnceWithoutPassword() {
        let text = """
            [collectors.postgres]
            plugn = "warden-collector-postgres"
            interval = "10"
            config = { url = "postgres://monitor:hunter2secret@127.0.0.1:5432/postgres", password = "hunter2secret", when = 07:32:00 }

            [collectors.postgres.thresholds]
            high_usage = 0.99
            leak_checks = -1
            long_running = 300
            """
        let found = diagnostics(of: text)
        #expect(found.map(\.line) == [1, 2, 3, 4, 7, 8, 9])
        #expect(found.map(\.key) == [
            "collectors.postgres.plugin", "collectors.postgres.plugn", "collectors.postgres.interval",
            "collectors.postgres.config.when", "collectors.postgres.thresholds.high_usage",
            "collectors.postgres.thresholds.leak_checks", "collectors.postgres.thresholds.long_running",
        ])
        #expect(found[1].message == #"unknown key "plugn"; did you mean "plugin"?"#)
        for diagnostic in found {
            #expect(!diagnostic.description.contains("hunter2"), "\(diagnostic)")
        }
    }
}
