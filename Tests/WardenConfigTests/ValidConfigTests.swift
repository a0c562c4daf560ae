import Testing
import WardenCore
@testable import WardenConfig

@Suite("ConfigLoader: valid configs")
struct ValidConfigTests {
    static let fullConfig = """
        # Every key Warden knows, none at its default.
        [supervisor]
        state_dir = "/var/lib/warden"
        sample_interval = "500ms"
        shutdown_timeout = "45s"
        log_max_bytes = "20MiB"
        log_backups = 5

        [programs.api]
        command = ["python3", "-m", "http.server", "8080"]
        directory = "/srv/app"
        environment = { APP_ENV = "prod", "DB.URL" = "postgres://db/app" }
        numprocs = 2
        autostart = false
        restart = "always"
        start_seconds = "2s"
        start_retries = 0
        backoff = "250ms"
        backoff_max = "1m"
        stop_signal = "SIGINT"
        stop_timeout = "1m30s"

        [programs.api.leak]
        window = "10m"
        low = 1
        medium = 2.5
        high = 4
        critical = 8
        sustain = "2m"
        rss_max = "1GB"
        fds_max = 2048
        threads_max = 256
        on_critical = "alert"
        cleanup_signal = "USR1"
        """

    @Test("a full config round-trips every key")
    func fullConfig() throws {
        let configuration = try #require(parseValid(Self.fullConfig))
        #expect(configuration.file == fixtureFile)
        #expect(configuration.supervisor == SupervisorSettings(
            stateDirectory: "/var/lib/warden", sampleInterval: .milliseconds(500), shutdownTimeout: .seconds(45),
            logMaxBytes: 20 * 1024 * 1024, logBackups: 5))
        let expectedLeak = LeakSettings(
            window: .seconds(600), sustain: .seconds(120), low: 1, medium: 2.5, high: 4, critical: 8,
            rssMax: ByteSize(bytes: 1_000_000_000), fdsMax: 2048, threadsMax: 256, onCritical: .alert, cleanupSignal: .usr1)
        let expected = ProgramConfiguration(
            name: "api", command: ["python3", "-m", "http.server", "8080"], directory: "/srv/app",
            environment: ["APP_ENV": "prod", "DB.URL": "postgres://db/app"], numprocs: 2, autostart: false,
            restart: .always, startSeconds: .seconds(2), startRetries: 0, backoff: .milliseconds(250),
            backoffMax: .seconds(60), stopSignal: .int, stopTimeout: .seconds(90), leak: expectedLeak)
        #expect(configuration.programs == [expected])
    }

    @Test("an empty document is valid: default supervisor settings, no programs")
    func emptyDocument() throws {
        let configuration = try #require(parseValid(""))
        #expect(configuration.programs.isEmpty)
        #expect(configuration.supervisor == SupervisorSettings(stateDirectory: "/etc/warden/.warden"))
        #expect(configuration.supervisor.sampleInterval == .seconds(1))
        #expect(configuration.supervisor.shutdownTimeout == .seconds(30))
        #expect(configuration.supervisor.logMaxBytes == 10_000_000)
        #expect(configuration.supervisor.logBackups == 3)
    }

    @Test("a config with only [supervisor] and an empty [programs] table is valid")
    func onlySupervisor() throws {
        let configuration = try #require(parseValid("[supervisor]\nsample_interval = \"2s\"\n\n[programs]\n"))
        #expect(configuration.programs.isEmpty)
        #expect(configuration.supervisor.sampleInterval == .seconds(2))
    }

    @Test("defaults are applied to a program that gives only its command")
    func programDefaults() throws {
        let configuration = try #require(parseValid(minimalProgram))
        let program = try #require(configuration.programs.first)
        #expect(program == ProgramConfiguration(name: "api", command: ["python3", "-m", "http.server"]))
        #expect(program.directory == nil)
        #expect(program.environment.isEmpty)
        #expect(program.numprocs == 1)
        #expect(program.autostart)
        #expect(program.restart == .onFailure)
        #expect(program.startSeconds == .seconds(1))
        #expect(program.startRetries == 3)
        #expect(program.backoff == .seconds(1))
        #expect(program.backoffMax == .seconds(30))
        #expect(program.stopSignal == .term)
        #expect(program.stopTimeout == .seconds(10))
        #expect(program.leak == LeakSettings(
            window: .seconds(300), sustain: .seconds(60), low: 3, medium: 6, high: 12, critical: 15, rssMax: nil,
            fdsMax: nil, threadsMax: nil, onCritical: .restart, cleanupSignal: nil))
    }

    @Test("a partial [leak] table keeps the defaults of the keys it omits")
    func partialLeak() throws {
        let configuration = try #require(parseValid(minimalProgram + "\n[programs.api.leak]\nrss_max = \"512MiB\"\nhigh = 13\n"))
        let leak = try #require(configuration.programs.first?.leak)
        #expect(leak.rssMax == ByteSize(bytes: 512 * 1024 * 1024))
        #expect(leak.high == 13)
        #expect(leak.low == 3 && leak.medium == 6 && leak.critical == 15)
    }

    @Test("instance names: the program name for one instance, NAME:INDEX for several")
    func instanceNames() throws {
        let configuration = try #require(parseValid("""
            [programs.web]
            command = ["web"]
            numprocs = 3
            [programs.cron]
            command = ["cron"]
            """))
        #expect(configuration.program(named: "web")?.instanceNames == ["web:0", "web:1", "web:2"])
        #expect(configuration.program(named: "cron")?.instanceNames == ["cron"])
        #expect(ProgramConfiguration(name: "x", command: ["x"], numprocs: 2).instanceNames == ["x:0", "x:1"])
    }

    @Test("programs are sorted by name")
    func sortedPrograms() throws {
        let configuration = try #require(parseValid("""
            [programs.zeta]
            command = ["z"]
            [programs.alpha]
            command = ["a"]
            [programs."m.v2"]
            command = ["m"]
            """))
        #expect(configuration.programs.map(\.name) == ["alpha", "m.v2", "zeta"])
    }

    @Test("a relative state_dir is resolved against the config file's directory")
    func relativeStateDirectory() throws {
        let configuration = try #require(parseValid("[supervisor]\nstate_dir = \"run/../state/./warden\"\n"))
        #expect(configuration.supervisor.stateDirectory == "/etc/warden/state/warden")
        let dot = try #require(parseValid("[supervisor]\nstate_dir = \".\"\n"))
        #expect(dot.supervisor.stateDirectory == "/etc/warden")
        let absolute = try #require(parseValid("[supervisor]\nstate_dir = \"/run/warden/\"\n"))
        #expect(absolute.supervisor.stateDirectory == "/run/warden")
    }

    @Test("a relative config path is made absolute against the working directory")
    func relativeConfigFile() throws {
        let configuration = try #require(parseValid("", file: "etc/w.toml"))
        let cwd = ConfigFile.workingDirectory()
        #expect(configuration.file == LexicalPath.normalize(cwd + "/etc/w.toml"))
        #expect(configuration.supervisor.stateDirectory == LexicalPath.normalize(cwd + "/etc/.warden"))
    }

    @Test("a relative program directory is resolved against the config file's directory")
    func relativeProgramDirectory() throws {
        let configuration = try #require(parseValid(minimalProgram + "\ndirectory = \"../srv\"\n"))
        #expect(configuration.programs.first?.directory == "/etc/srv")
    }

    @Test("signals are accepted with or without SIG, in any case", arguments: [
        ("TERM", SignalName.term), ("SIGTERM", .term), ("hup", .hup), ("SigUsr2", .usr2), ("KILL", .kill), ("WINCH", .winch),
    ])
    func signalSpellings(text: String, signal: SignalName) throws {
        let configuration = try #require(parseValid(minimalProgram + "\nstop_signal = \"\(text)\"\n"))
        #expect(configuration.programs.first?.stopSignal == signal)
    }

    @Test("inline tables and dotted keys are the same config as sub-tables")
    func inlineAndDottedForms() throws {
        let inline = try #require(parseValid("""
            programs.api = { command = ["app"], leak = { rss_max = "1GiB", low = 2 } }
            """))
        let dotted = try #require(parseValid("""
            [programs.api]
            command = ["app"]
            leak.rss_max = "1GiB"
            leak.low = 2
            """))
        let tables = try #require(parseValid("""
            [programs.api]
            command = ["app"]
            [programs.api.leak]
            rss_max = "1GiB"
            low = 2
            """))
        #expect(inline == dotted)
        #expect(dotted == tables)
        #expect(tables.programs.first?.leak.rssMax == ByteSize(bytes: 1 << 30))
    }

    @Test("equal thresholds are allowed; order is low <= medium <= high <= critical")
    func equalThresholds() throws {
        let configuration = try #require(parseValid(minimalProgram + "\n[programs.api.leak]\nlow = 5\nmedium = 5\nhigh = 5.0\ncritical = 15\n"))
        #expect(configuration.programs.first?.leak.high == 5)
    }

    @Test("the longest duration allowed is 3650d, in any spelling")
    func longestDuration() throws {
        let configuration = try #require(parseValid(minimalProgram + "\nstop_timeout = \"3649d23h59m60s\"\nstart_seconds = \"3650d\"\n"))
        #expect(configuration.programs.first?.stopTimeout == .seconds(3650 * 86400))
        #expect(configuration.programs.first?.startSeconds == .seconds(3650 * 86400))
    }

    @Test("backoff_max equal to backoff is allowed")
    func backoffEqual() throws {
        let configuration = try #require(parseValid(minimalProgram + "\nbackoff = \"30s\"\n"))
        #expect(configuration.programs.first?.backoff == .seconds(30))
    }
}

@Suite("SignalName")
struct SignalNameTests {
    @Test("Linux numbers and names round-trip")
    func numbers() {
        let expected: [SignalName: Int32] = [
            .hup: 1, .int: 2, .quit: 3, .kill: 9, .usr1: 10, .usr2: 12, .alrm: 14, .term: 15, .cont: 18, .stop: 19, .winch: 28,
        ]
        for (signal, number) in expected {
            #expect(signal.number == number)
            #expect(SignalName(number: number) == signal)
        }
        #expect(SignalName.allCases.count == expected.count)
        #expect(SignalName(number: 11) == nil)
        #expect(SignalName.term.description == "SIGTERM")
    }

    @Test("parsing rejects numbers and unknown names")
    func parsing() {
        #expect(SignalName(parsing: "15") == nil)
        #expect(SignalName(parsing: "SIGSEGV") == nil)
        #expect(SignalName(parsing: "") == nil)
        #expect(SignalName(parsing: "SIG") == nil)
        #expect(SignalName(parsing: "sigquit") == .quit)
    }
}
