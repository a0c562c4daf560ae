import Testing
import WardenCore
@testable import WardenConfig

/// Diagnostics of values, cross-key rules, programs, many problems at once, and files.
extension DiagnosticTests {
    // MARK: Values

    @Test("bad durations carry DurationText's message", arguments: [
        ("start_seconds = \"10\"", "programs.api.start_seconds", #"duration "10" has no unit; write e.g. "10s""#),
        ("stop_timeout = 10", "programs.api.stop_timeout", #"duration "10" has no unit; write e.g. "10s""#),
        ("stop_timeout = 2.5", "programs.api.stop_timeout", #"duration "2.5" has no unit; write e.g. "2.5s""#),
        ("backoff = \"5 s\"", "programs.api.backoff", #"duration "5 s" must not contain spaces; write "5s""#),
        ("stop_timeout = \"10 seconds\"", "programs.api.stop_timeout", #"duration "10 seconds" must not contain spaces; write "10s""#),
        ("backoff_max = \"1y\"", "programs.api.backoff_max", #"unknown duration unit "y" in "1y"; use ms, s, m, h or d"#),
        ("stop_timeout = \"-1s\"", "programs.api.stop_timeout", #"invalid duration "-1s"; write e.g. "250ms", "10s", "5m""#),
        ("stop_timeout = \"\"", "programs.api.stop_timeout", #"empty duration; write e.g. "10s""#),
        ("stop_timeout = \"200000d\"", "programs.api.stop_timeout", #"duration "200000d" is too large; the maximum is "3650d""#),
        ("stop_timeout = \"3650d1s\"", "programs.api.stop_timeout", #"duration "3650d1s" is too large; the maximum is "3650d""#),
        ("stop_timeout = \"99999999999999999999h\"", "programs.api.stop_timeout",
         #"duration "99999999999999999999h" is too large; the maximum is "3650d""#),
    ])
    func badDurations(line: String, key: String, message: String) throws {
        let diagnostic = try #require(onlyDiagnostic(of: minimalProgram + "\n" + line + "\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 3, key: key, message: message))
    }

    @Test("sample_interval and window must be greater than zero")
    func zeroDurations() throws {
        let found = diagnostics(of: "[supervisor]\nsample_interval = \"0s\"\n" + minimalProgram + "\n[programs.api.leak]\nwindow = \"0ms\"\n")
        #expect(found == [
            Diagnostic(file: fixtureFile, line: 2, key: "supervisor.sample_interval", message: #"must be greater than zero, got "0s""#),
            Diagnostic(file: fixtureFile, line: 6, key: "programs.api.leak.window", message: #"must be greater than zero, got "0ms""#),
        ])
    }

    @Test("backoff and backoff_max must be greater than zero (a zero backoff is a busy loop)")
    func zeroBackoff() throws {
        let found = diagnostics(of: minimalProgram + "\nbackoff = \"0s\"\nbackoff_max = \"0ms\"\n")
        #expect(found == [
            Diagnostic(file: fixtureFile, line: 3, key: "programs.api.backoff", message: #"must be greater than zero, got "0s""#),
            Diagnostic(file: fixtureFile, line: 4, key: "programs.api.backoff_max", message: #"must be greater than zero, got "0ms""#),
        ])
    }

    @Test("bad sizes carry ByteSize's message", arguments: [
        ("log_max_bytes = \"10XB\"", #"unknown size unit "XB" in "10XB"; use B, KB, MB, GB, KiB, MiB or GiB"#),
        ("log_max_bytes = 4096", #"size "4096" has no unit; write "4096B" for bytes, or e.g. "4096MB" or "4096MiB""#),
        ("log_max_bytes = \"0MB\"", #"must be greater than zero, got "0MB""#),
        ("log_max_bytes = \"big\"", #"invalid size "big"; write e.g. "200MB" or "1GiB""#),
        ("log_max_bytes = \"100 MB\"", #"size "100 MB" must not contain spaces; write "100MB""#),
    ])
    func badSizes(line: String, message: String) throws {
        let diagnostic = try #require(onlyDiagnostic(of: "[supervisor]\n" + line + "\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 2, key: "supervisor.log_max_bytes", message: message))
    }

    @Test("an unknown signal lists the known names")
    func badSignal() throws {
        let found = diagnostics(of: minimalProgram + "\nstop_signal = \"SIGSEGV\"\n[programs.api.leak]\ncleanup_signal = \"15\"\n")
        let names = "HUP, INT, QUIT, KILL, USR1, USR2, ALRM, TERM, CONT, STOP, WINCH"
        #expect(found == [
            Diagnostic(file: fixtureFile, line: 3, key: "programs.api.stop_signal",
                       message: #"unknown signal "SIGSEGV"; use one of \#(names) (with or without "SIG")"#),
            Diagnostic(file: fixtureFile, line: 5, key: "programs.api.leak.cleanup_signal",
                       message: #"unknown signal "15"; use one of \#(names) (with or without "SIG")"#),
        ])
    }

    @Test("bad enum values list the accepted ones")
    func badEnums() throws {
        let found = diagnostics(of: minimalProgram + "\nrestart = \"sometimes\"\n[programs.api.leak]\non_critical = \"kill\"\n")
        #expect(found == [
            Diagnostic(file: fixtureFile, line: 3, key: "programs.api.restart",
                       message: #"invalid value "sometimes"; expected "always", "on-failure" or "never""#),
            Diagnostic(file: fixtureFile, line: 5, key: "programs.api.leak.on_critical",
                       message: #"invalid value "kill"; expected "restart" or "alert""#),
        ])
    }

    @Test("out-of-range numbers", arguments: [
        ("numprocs = 0", "programs.api.numprocs", "must be between 1 and 1000, got 0"),
        ("numprocs = 1001", "programs.api.numprocs", "must be between 1 and 1000, got 1001"),
        ("start_retries = -1", "programs.api.start_retries", "must be >= 0, got -1"),
    ])
    func outOfRange(line: String, key: String, message: String) throws {
        let diagnostic = try #require(onlyDiagnostic(of: minimalProgram + "\n" + line + "\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 3, key: key, message: message))
    }

    @Test("out-of-range supervisor and leak numbers")
    func outOfRangeOthers() throws {
        let found = diagnostics(of: """
            [supervisor]
            log_backups = -2
            [programs.api]
            command = ["x"]
            [programs.api.leak]
            fds_max = 0
            threads_max = -5
            critical = -1
            low = nan
            """)
        #expect(found == [
            Diagnostic(file: fixtureFile, line: 2, key: "supervisor.log_backups", message: "must be between 0 and 1000, got -2"),
            Diagnostic(file: fixtureFile, line: 6, key: "programs.api.leak.fds_max", message: "must be >= 1, got 0"),
            Diagnostic(file: fixtureFile, line: 7, key: "programs.api.leak.threads_max", message: "must be >= 1, got -5"),
            Diagnostic(file: fixtureFile, line: 8, key: "programs.api.leak.critical", message: "must be a finite number >= 0 (MiB/min), got -1"),
            Diagnostic(file: fixtureFile, line: 9, key: "programs.api.leak.low", message: "must be a finite number >= 0 (MiB/min), got nan"),
        ])
    }

    // MARK: Cross-key rules

    @Test("backoff_max below backoff is reported at backoff_max")
    func backoffMaxBelowBackoff() throws {
        let diagnostic = try #require(onlyDiagnostic(of: minimalProgram + "\nbackoff = \"10s\"\nbackoff_max = \"5s\"\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 4, key: "programs.api.backoff_max",
                                         message: "must be >= backoff (10s), got 5s"))
    }

    @Test("a backoff above the default backoff_max is reported at backoff")
    func backoffAboveDefaultMax() throws {
        let diagnostic = try #require(onlyDiagnostic(of: minimalProgram + "\nbackoff = \"1m\"\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 3, key: "programs.api.backoff",
                                         message: "must be <= backoff_max (30s, the default), got 1m; raise backoff_max too"))
    }

    @Test("thresholds out of order are reported at the later explicit key")
    func thresholdsNotIncreasing() throws {
        let found = diagnostics(of: minimalProgram + "\n[programs.api.leak]\nlow = 3\nmedium = 2\nhigh = 12\ncritical = 10\n")
        let order = "thresholds must satisfy low <= medium <= high <= critical"
        #expect(found == [
            Diagnostic(file: fixtureFile, line: 5, key: "programs.api.leak.medium", message: "must be >= low (3), got 2; \(order)"),
            Diagnostic(file: fixtureFile, line: 7, key: "programs.api.leak.critical", message: "must be >= high (12), got 10; \(order)"),
        ])
    }

    @Test("a threshold above the next default is reported at the explicit key, naming the default")
    func thresholdAboveDefault() throws {
        let found = diagnostics(of: minimalProgram + "\n[programs.api.leak]\nlow = 7.5\ncritical = 11\n")
        let order = "thresholds must satisfy low <= medium <= high <= critical"
        #expect(found == [
            Diagnostic(file: fixtureFile, line: 4, key: "programs.api.leak.low", message: "must be <= medium (6, the default), got 7.5; \(order)"),
            Diagnostic(file: fixtureFile, line: 5, key: "programs.api.leak.critical", message: "must be >= high (12, the default), got 11; \(order)"),
        ])
    }

    // MARK: Programs

    @Test("an empty command is rejected")
    func emptyCommand() throws {
        let diagnostic = try #require(onlyDiagnostic(of: "[programs.api]\ncommand = []\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 2, key: "programs.api.command",
                                         message: "must not be empty; give at least the program to run"))
    }

    @Test("a missing command is reported at the program's header")
    func missingCommand() throws {
        let diagnostic = try #require(onlyDiagnostic(of: "[supervisor]\n\n[programs.api]\nnumprocs = 2\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 3, key: "programs.api.command",
                                         message: #"missing required key; write e.g. command = ["python3", "-m", "http.server"]"#))
    }

    @Test("a command written as a shell string is rejected with the argv to write instead")
    func commandAsString() throws {
        let diagnostic = try #require(onlyDiagnostic(of: "[programs.api]\ncommand = \"python3 -m http.server\"\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 2, key: "programs.api.command", message:
            #"expected array of strings, got string "python3 -m http.server"; the command is an argv run without a shell, write ["python3", "-m", "http.server"]"#))
    }

    @Test("command elements must be strings, and the program must not be empty")
    func commandElements() throws {
        let found = diagnostics(of: "[programs.a]\ncommand = [\"srv\", 8080, true]\n[programs.b]\ncommand = [\"\", \"x\"]\n")
        #expect(found == [
            Diagnostic(file: fixtureFile, line: 2, key: "programs.a.command",
                       message: #"expected array of strings, but element 1 is integer 8080; quote it: "8080""#),
            Diagnostic(file: fixtureFile, line: 2, key: "programs.a.command",
                       message: "expected array of strings, but element 2 is boolean true"),
            Diagnostic(file: fixtureFile, line: 4, key: "programs.b.command",
                       message: "element 0 (the program to run) must not be empty"),
        ])
    }

    @Test("a program name outside [A-Za-z0-9_.-] is rejected at its header")
    func badProgramName() throws {
        let found = diagnostics(of: "[programs.\"my api\"]\ncommand = [\"x\"]\n\n[programs.\"api:0\"]\ncommand = [\"y\"]\n")
        #expect(found == [
            Diagnostic(file: fixtureFile, line: 1, key: #"programs."my api""#,
                       message: #"invalid program name "my api"; use only letters, digits, "_", "." and "-""#),
            Diagnostic(file: fixtureFile, line: 4, key: #"programs."api:0""#,
                       message: #"invalid program name "api:0"; use only letters, digits, "_", "." and "-""#),
        ])
    }

    @Test("reserved and unsafe program names are rejected", arguments: [
        (#"".""#, #"programs.".""#, #"invalid program name "."; it is used as a file name"#),
        (#""..""#, #"programs."..""#, #"invalid program name ".."; it is used as a file name"#),
        ("-api", "programs.-api", #"invalid program name "-api"; it must not start with "-""#),
        ("all", "programs.all", #"program name "all" is reserved: control commands use it for every program"#),
        (#""""#, #"programs."""#, #"invalid program name ""; use only letters, digits, "_", "." and "-""#),
    ])
    func reservedProgramNames(header: String, key: String, message: String) throws {
        let diagnostic = try #require(onlyDiagnostic(of: "[programs.\(header)]\ncommand = [\"x\"]\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 1, key: key, message: message))
    }

    @Test("environment values must be strings, each reported at its own key")
    func environmentValues() throws {
        let found = diagnostics(of: minimalProgram + "\n[programs.api.environment]\nPORT = 8080\nDEBUG = false\nNAME = \"ok\"\n")
        #expect(found == [
            Diagnostic(file: fixtureFile, line: 4, key: "programs.api.environment.PORT",
                       message: #"expected string, got integer 8080; quote it: "8080""#),
            Diagnostic(file: fixtureFile, line: 5, key: "programs.api.environment.DEBUG",
                       message: #"expected string, got boolean false; quote it: "false""#),
        ])
    }

    @Test("an environment variable name with = is rejected")
    func environmentName() throws {
        let diagnostic = try #require(onlyDiagnostic(of: minimalProgram + "\nenvironment = { \"A=B\" = \"x\" }\n"))
        #expect(diagnostic == Diagnostic(file: fixtureFile, line: 3, key: #"programs.api.environment."A=B""#,
                                         message: #"invalid environment variable name; it must be non-empty and contain no "=""#))
    }

    @Test("paths must not be empty or start with ~")
    func badPaths() throws {
        let found = diagnostics(of: "[supervisor]\nstate_dir = \"\"\n" + minimalProgram + "\ndirectory = \"~/app\"\n")
        #expect(found == [
            Diagnostic(file: fixtureFile, line: 2, key: "supervisor.state_dir",
                       message: #"must not be empty; write "." for the config file's directory"#),
            Diagnostic(file: fixtureFile, line: 5, key: "programs.api.directory",
                       message: #""~" is not expanded; write an absolute path, or one relative to the config file's directory"#),
        ])
    }

    // MARK: Many at once

    @Test("every problem is reported together, sorted by line")
    func multipleErrors() throws {
        let text = """
            [supervisor]
            sample_interval = 1
            log_backups = "3"

            [programs.api]
            command = []
            numprocs = "2"
            restrat = 1
            backoff = "10s"
            backoff_max = "5s"

            [programs.api.leak]
            rss_max = 100
            low = 10
            medium = 5

            [programs."bad name"]
            command = ["x"]
            stop_signal = "TERMINATE"
            """
        let found = diagnostics(of: text, file: "etc/w.toml")
        #expect(found.map(\.description) == [
            #"etc/w.toml:2: supervisor.sample_interval: duration "1" has no unit; write e.g. "1s""#,
            #"etc/w.toml:3: supervisor.log_backups: expected integer, got string "3"; write 3 without quotes"#,
            #"etc/w.toml:6: programs.api.command: must not be empty; give at least the program to run"#,
            #"etc/w.toml:7: programs.api.numprocs: expected integer, got string "2"; write 2 without quotes"#,
            #"etc/w.toml:8: programs.api.restrat: unknown key "restrat"; did you mean "restart"?"#,
            #"etc/w.toml:10: programs.api.backoff_max: must be >= backoff (10s), got 5s"#,
            #"etc/w.toml:13: programs.api.leak.rss_max: size "100" has no unit; write "100B" for bytes, or e.g. "100MB" or "100MiB""#,
            #"etc/w.toml:15: programs.api.leak.medium: must be >= low (10), got 5; thresholds must satisfy low <= medium <= high <= critical"#,
            #"etc/w.toml:17: programs."bad name": invalid program name "bad name"; use only letters, digits, "_", "." and "-""#,
            #"etc/w.toml:19: programs."bad name".stop_signal: unknown signal "TERMINATE"; use one of HUP, INT, QUIT, KILL, USR1, USR2, ALRM, TERM, CONT, STOP, WINCH (with or without "SIG")"#,
        ])
    }

    // MARK: Files

    @Test("load(path:) reports a missing file without a line")
    func missingFile() throws {
        do {
            _ = try ConfigLoader.load(path: "/nonexistent/warden.toml")
            Issue.record("expected an error")
        } catch {
            #expect(error.diagnostics == [
                Diagnostic(file: "/nonexistent/warden.toml", line: nil, key: nil,
                           message: "cannot open config file: No such file or directory"),
            ])
        }
    }
}

/// Edges found by attacking the config: NULs that would be cut at run time, a process count with no bound.
extension DiagnosticTests {
    @Test("a NUL escaped into an argv element or an environment value is refused at its line (TOMLKit would cut the string there)")
    func escapedNUL() throws {
        let message = "syntax error: a NUL character (\\u0000) in a string; commands, paths and the environment cannot hold one"
        let found = diagnostics(of: """
            [programs.api]
            command = ["sh", "-c", "echo a\\u0000b"]
            environment = { A = "x\\U00000000y" }
            """)
        #expect(found == [
            Diagnostic(file: fixtureFile, line: 2, key: nil, message: message),
            Diagnostic(file: fixtureFile, line: 3, key: nil, message: message),
        ])
        // An escaped backslash before "u0000" is no NUL, nor is a literal string.
        let fine = try ConfigLoader.parse("[programs.api]\ncommand = [\"echo\", \"a\\\\u0000\", 'b\\u0000']\n", file: fixtureFile)
        #expect(fine.programs[0].command == ["echo", "a\\u0000", "b\\u0000"])
    }

    @Test("more processes than max_processes (default 10000) is an error; max_processes raises the bound")
    func processBound() throws {
        let programs = (0..<11).map { "[programs.p\($0)]\ncommand = [\"x\"]\nnumprocs = 1000\n" }.joined()
        let found = diagnostics(of: programs)
        #expect(found == [
            Diagnostic(file: fixtureFile, line: 28, key: "programs.p9", message:
                "the config starts 11000 processes (instances and collectors), more than max_processes = 10000; raise [supervisor] max_processes if that is intended"),
        ])
        #expect(try ConfigLoader.parse("[supervisor]\nmax_processes = 11000\n" + programs, file: fixtureFile).programs.count == 11)
        let lowered = diagnostics(of: "[supervisor]\nmax_processes = 2\n[programs.a]\ncommand = [\"x\"]\nnumprocs = 3\n")
        #expect(lowered.map(\.line) == [2])
        #expect(lowered.map(\.key) == ["supervisor.max_processes"])
    }

    @Test("a program name over 128 characters is refused, and the diagnostic quotes only its beginning")
    func longProgramName() throws {
        let name = String(repeating: "n", count: 100_000)
        let found = diagnostics(of: "[programs.\(name)]\ncommand = [\"x\"]\n")
        #expect(found.count == 1)
        let text = found.first?.description ?? ""
        #expect(text.count < 500, "\(text.prefix(300))")
        #expect(text.contains("is 100000 characters; at most 128"))
    }
}
