import Testing
import WardenCore
@testable import WardenConfig

@Suite("ConfigLoader: diagnostics")
struct DiagnosticTests {
    // MARK: Format

    @Test("description is FILE:LINE: KEY: MESSAGE, leaving out what is unknown")
    func descriptionFormat() {
        #expect(Diagnostic(file: "etc/w.toml", line: 14, key: "programs.api.numprocs", message: "bad").description
            == "etc/w.toml:14: programs.api.numprocs: bad")
        #expect(Diagnostic(file: "etc/w.toml", line: 3, key: nil, message: "syntax error: x").description
            == "etc/w.toml:3: syntax error: x")
        #expect(Diagnostic(file: "etc/w.toml", line: nil, key: nil, message: "cannot open").description == "etc/w.toml: cannot open")
        #expect(ConfigError(diagnostics: [
            Diagnostic(file: "a", line: 1, key: "k", message: "m"), Diagnostic(file: "a", line: 2, key: nil, message: "n"),
        ]).description == "a:1: k: m\na:2: n")
    }

    @Test("the brief's example: a bare-number rss_max demands a unit, at its line, naming the key")
    func bareNumberRSSMax() throws {
        let text = """
            [supervisor]
            state_dir = ".warden"

            [programs.api]
            command = ["python3", "app.py"]
            numprocs = 1
            autostart = true
            restart = "on-failure"
            start_seconds = "1s"
            start_retries = 3
            stop_signal = "TERM"

            [programs.api.leak]
            rss_max = 100
            """
        let diagnostic = try #require(onlyDiagnostic(of: text, file: "etc/w.toml"))
        #expect(diagnostic.description
            == #"etc/w.toml:14: programs.api.leak.rss_max: size "100" has no unit; write "100B" for bytes, or e.g. "100MB" or "100MiB""#)
    }

    @Test("a quoted bare number for rss_max is rejected the same way")
    func quotedBareNumberRSSMax() throws {
        let diagnostic = try #require(onlyDiagnostic(of: minimalProgram + "\nleak = { rss_max = \"100\" }\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 3, key: "programs.api.leak.rss_max",
                                         message: #"size "100" has no unit; write "100B" for bytes, or e.g. "100MB" or "100MiB""#))
    }

    // MARK: Syntax

    @Test("a syntax error carries TOMLKit's line and no key")
    func syntaxError() throws {
        let text = """
            [supervisor]
            state_dir = ".warden"

            [programs.api]
            command = ["a", "b"
            restart = "always"
            """
        let diagnostic = try #require(onlyDiagnostic(of: text))
        #expect(diagnostic.file == fixtureFile)
        #expect(diagnostic.key == nil)
        #expect(diagnostic.line == 6)
        #expect(diagnostic.message == "syntax error while parsing array: expected comma or closing ']', saw 'r' (column 1)")
        #expect(diagnostic.description.hasPrefix("/etc/warden/warden.toml:6: syntax error while parsing array"))
    }

    @Test("an unterminated string is a syntax error on its line")
    func unterminatedString() throws {
        let diagnostic = try #require(onlyDiagnostic(of: "[supervisor]\n\nstate_dir = \"abc\n"))
        #expect(diagnostic.line == 3)
        #expect(diagnostic.key == nil)
        #expect(diagnostic.message.hasPrefix("syntax error while parsing string: "))
    }

    @Test("a duplicate key is a syntax error on the second occurrence's line")
    func duplicateKey() throws {
        let diagnostic = try #require(onlyDiagnostic(of: minimalProgram + "\nrestart = \"always\"\nrestart = \"never\"\n"))
        #expect(diagnostic.line == 4)
        #expect(diagnostic.message == "syntax error while parsing key-value pair: cannot redefine existing string 'restart' (column 11)")
    }

    @Test("a redefined table is a syntax error at the second header")
    func duplicateTable() throws {
        let diagnostic = try #require(onlyDiagnostic(of: minimalProgram + "\n\n[programs.api]\n"))
        #expect(diagnostic.line == 4)
        #expect(diagnostic.message == "syntax error while parsing table header: cannot redefine existing table 'programs.api' (column 1)")
    }

    @Test("a NUL character is reported at its line")
    func nulCharacter() throws {
        let diagnostic = try #require(onlyDiagnostic(of: "[supervisor]\nstate_dir = \"a\u{0}b\"\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 2, key: nil, message: "syntax error: NUL character in the file"))
    }

    // MARK: Types

    @Test("numprocs = \"2\" says expected integer, at its line")
    func quotedInteger() throws {
        let diagnostic = try #require(onlyDiagnostic(of: minimalProgram + "\nautostart = true\nnumprocs = \"2\"\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 4, key: "programs.api.numprocs",
                                         message: #"expected integer, got string "2"; write 2 without quotes"#))
    }

    @Test("wrong types name what was expected and what was found", arguments: [
        ("autostart = \"yes\"", "programs.api.autostart", #"expected boolean (true or false), got string "yes""#),
        ("autostart = \"true\"", "programs.api.autostart", #"expected boolean (true or false), got string "true"; write true without quotes"#),
        ("numprocs = 2.0", "programs.api.numprocs", "expected integer, got floating-point number 2.0"),
        ("restart = 1", "programs.api.restart", "expected string, got integer 1"),
        ("start_seconds = true", "programs.api.start_seconds", #"expected duration string such as "10s", got boolean true"#),
        ("stop_signal = 15", "programs.api.stop_signal", "expected string, got integer 15"),
        ("directory = [\"/srv\"]", "programs.api.directory", "expected string, got array"),
        ("leak = \"on\"", "programs.api.leak", #"expected table, got string "on""#),
        ("environment = [\"A=1\"]", "programs.api.environment",
         #"expected table, got array; write e.g. environment = { APP_ENV = "prod" }"#),
    ])
    func wrongTypes(line: String, key: String, message: String) throws {
        let diagnostic = try #require(onlyDiagnostic(of: minimalProgram + "\n" + line + "\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 3, key: key, message: message))
    }

    @Test("a wrong-typed leak threshold and limit", arguments: [
        ("low = \"3\"", "programs.api.leak.low", #"expected number (MiB/min), got string "3"; write 3 without quotes (MiB/min)"#),
        ("high = true", "programs.api.leak.high", "expected number (MiB/min), got boolean true"),
        ("fds_max = \"1024\"", "programs.api.leak.fds_max", #"expected integer, got string "1024"; write 1024 without quotes"#),
        ("rss_max = true", "programs.api.leak.rss_max", #"expected size string such as "100MB", got boolean true"#),
        ("cleanup_signal = 10", "programs.api.leak.cleanup_signal", "expected string, got integer 10"),
    ])
    func wrongLeakTypes(line: String, key: String, message: String) throws {
        let diagnostic = try #require(onlyDiagnostic(of: minimalProgram + "\n[programs.api.leak]\n" + line + "\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 4, key: key, message: message))
    }

    @Test("supervisor and programs must be tables")
    func topLevelTypes() throws {
        let found = diagnostics(of: "supervisor = 1\nprograms = [\"api\"]\n")
        #expect(found == [
            Diagnostic(file: fixtureFile, line: 1, key: "supervisor", message: "expected table, got integer 1"),
            Diagnostic(file: fixtureFile, line: 2, key: "programs",
                       message: "expected table, got array; write one [programs.NAME] table per program"),
        ])
    }

    @Test("a program must be a table")
    func programNotTable() throws {
        let diagnostic = try #require(onlyDiagnostic(of: "[programs]\napi = \"python3 app.py\"\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 2, key: "programs.api",
                                         message: #"expected table, got string "python3 app.py"; write [programs.api]"#))
    }

    @Test("an array of tables for programs is rejected at its header")
    func arrayOfTables() throws {
        let diagnostic = try #require(onlyDiagnostic(of: "# programs\n[[programs]]\ncommand = [\"a\"]\n"))
        #expect(diagnostic.line == 2)
        #expect(diagnostic.key == "programs")
        #expect(diagnostic.message.hasPrefix("expected table, got array"))
    }

    // MARK: Unknown keys

    @Test("unknown key restrat = 1 says unknown key, suggests restart, at its line")
    func misspelledKey() throws {
        let diagnostic = try #require(onlyDiagnostic(of: minimalProgram + "\nrestrat = 1\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 3, key: "programs.api.restrat",
                                         message: #"unknown key "restrat"; did you mean "restart"?"#))
        #expect(diagnostic.description == #"/etc/warden/warden.toml:3: programs.api.restrat: unknown key "restrat"; did you mean "restart"?"#)
    }

    @Test("an unknown key without a close match lists the known keys")
    func unknownKeyList() throws {
        let diagnostic = try #require(onlyDiagnostic(of: "[supervisor]\nrundir = \"/run/w\"\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 2, key: "supervisor.rundir", message:
            #"unknown key "rundir"; expected one of: state_dir, sample_interval, shutdown_timeout, log_max_bytes, log_backups, max_processes, api_max_connections, api_idle_timeout, memory_pressure, memory_pressure_full, memory_pressure_sustain, memory_pressure_cooldown, memory_pressure_file"#))
    }

    @Test("unknown keys are found at every level: root, supervisor, program, leak, dashed spelling")
    func unknownKeysEverywhere() throws {
        let text = """
            [program.api]
            command = ["x"]

            [supervisor]
            sample-interval = "1s"

            [programs.web]
            command = ["web"]
            stop_sginal = "TERM"

            [programs.web.leak]
            windw = "5m"
            """
        let found = diagnostics(of: text)
        #expect(found == [
            Diagnostic(file: fixtureFile, line: 1, key: "program", message: #"unknown key "program"; did you mean "programs"?"#),
            Diagnostic(file: fixtureFile, line: 5, key: "supervisor.sample-interval",
                       message: #"unknown key "sample-interval"; did you mean "sample_interval"?"#),
            Diagnostic(file: fixtureFile, line: 9, key: "programs.web.stop_sginal",
                       message: #"unknown key "stop_sginal"; did you mean "stop_signal"?"#),
            Diagnostic(file: fixtureFile, line: 12, key: "programs.web.leak.windw",
                       message: #"unknown key "windw"; did you mean "window"?"#),
        ])
    }

    @Test("an unknown key inside an inline table or dotted key is located on its line")
    func unknownKeyInline() throws {
        let oneLine = """
            [programs.api]
            command = ["x"]
            environment = { A = "1" }
            leak = { window = "5m", sustian = "1m" }
            """
        let diagnostic = try #require(onlyDiagnostic(of: oneLine))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 4, key: "programs.api.leak.sustian",
                                         message: #"unknown key "sustian"; did you mean "sustain"?"#))
        let dotted = try #require(onlyDiagnostic(of: "[programs.api]\ncommand = [\"x\"]\n\nleak.rss = \"1GB\"\n"))
        #expect(dotted.line == 4)
        #expect(dotted.key == "programs.api.leak.rss")
        #expect(dotted.message.hasPrefix(#"unknown key "rss""#))
    }

    @Test("a wrong-typed value inside a one-line inline table is located on that line")
    func wrongTypeInline() throws {
        let text = """
            [programs.api]
            command = [
              "python3",
              "app.py",
            ]
            leak = { low = 1, rss_max = 512 }
            environment = { A = "1", B = 2 }
            """
        let found = diagnostics(of: text)
        #expect(found == [
            Diagnostic(file: fixtureFile, line: 6, key: "programs.api.leak.rss_max",
                       message: #"size "512" has no unit; write "512B" for bytes, or e.g. "512MB" or "512MiB""#),
            Diagnostic(file: fixtureFile, line: 7, key: "programs.api.environment.B", message: #"expected string, got integer 2; quote it: "2""#),
        ])
    }

    @Test("keys of programs whose names need quotes are quoted in the key path")
    func quotedProgramKeyPath() throws {
        let diagnostic = try #require(onlyDiagnostic(of: "[programs.\"api.v2\"]\ncommand = [\"x\"]\nnumprocs = \"x\"\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 3, key: #"programs."api.v2".numprocs"#,
                                         message: #"expected integer, got string "x""#))
    }
}
