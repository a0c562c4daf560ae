import Testing
@testable import WardenConfig

@Suite("Hints for supervisord and PM2 habits; the default config file; log_timestamps")
struct HabitsTests {
    @Test("supervisord's program keys name Warden's key with the same meaning, never a look-alike")
    func programKeys() {
        let found = diagnostics(of: """
            [programs.web]
            command = ["web"]
            autorestart = true
            startsecs = 5
            stopwaitsecs = 10
            stopasgroup = true
            """)
        let messages = Dictionary(uniqueKeysWithValues: found.map { ($0.key ?? "", $0.message) })
        // Edit distance alone would offer "autostart" for autorestart: another meaning.
        #expect(messages["programs.web.autorestart"]
                == #"unknown key "autorestart"; supervisord's autorestart is restart = "always" | "on-failure" | "never" (its true | unexpected | false)"#)
        #expect(messages["programs.web.startsecs"]?.contains(#"is start_seconds, a duration: start_seconds = "1s""#) == true)
        #expect(messages["programs.web.stopwaitsecs"]?.contains("is stop_timeout") == true)
        #expect(messages["programs.web.stopasgroup"]?.contains("whole process group") == true)
        #expect(found.allSatisfy { !$0.message.contains("autostart") })
        #expect(found.map(\.line) == [3, 4, 5, 6])
    }

    @Test("[program:x] is [programs.x]; [supervisord] is [supervisor]; PM2's keys too")
    func sections() {
        let headers = diagnostics(of: """
            [supervisord]
            logfile = "/tmp/s.log"

            [program:leak]
            command = ./leak.py

            [group:all]
            programs = leak
            """)
        // Every header is reported, and the first syntax error of the rest (an unquoted command) too.
        #expect(headers.map(\.line) == [4, 5, 7])
        #expect(headers[0].description == "/etc/warden/warden.toml:4: supervisord's [program:leak] is [programs.leak] in Warden")
        #expect(headers[1].message.hasPrefix("syntax error"))
        #expect(headers[2].description == "/etc/warden/warden.toml:7: supervisord's [group:all] has no equivalent: name the programs (or all) in each command")
        let root = diagnostics(of: "[supervisord]\nlogfile = \"/tmp/s.log\"\n")
        #expect(root.map(\.message) == [#"unknown key "supervisord"; supervisord's [supervisord] is [supervisor]"#])
        let pm2 = diagnostics(of: "[programs.app]\ncommand = [\"node\", \"app.js\"]\ninstances = 4\nmax_memory_restart = \"500M\"\n")
        #expect(pm2.map(\.message) == [
            #"unknown key "instances"; PM2's instances is numprocs"#,
            #"unknown key "max_memory_restart"; PM2's max_memory_restart is rss_max in [programs.NAME.leak]: rss_max = "500MB""#,
        ])
    }

    @Test("after a [program:x] header check goes on: its keys are checked as a program's, and the rest of the file too")
    func goesOnAfterHeaders() {
        let found = diagnostics(of: """
            [program:web]
            command = "python3 -m http.server"
            autorestart = true

            [group:all]
            programs = "web"

            [programs.ok]
            command = ["sleep", "1"]
            startsecs = 3
            """)
        #expect(found.map(\.line) == [1, 2, 3, 5, 10], "\(found.map(\.description))")
        #expect(found[0].message == "supervisord's [program:web] is [programs.web] in Warden")
        #expect(found[1].key == "programs.web.command")
        #expect(found[2].key == "programs.web.autorestart" && found[2].message.contains("restart"))
        #expect(found[3].message.hasPrefix("supervisord's [group:all] has no equivalent"))
        #expect(found[4].key == "programs.ok.startsecs" && found[4].message.contains("start_seconds"))
        #expect(!found.contains { ($0.key ?? "").contains("__supervisord") })
    }

    @Test("no did-you-mean across a word that names another thing; misspellings still get one")
    func meaningfulSuggestions() {
        let vms = onlyDiagnostic(of: "[programs.web]\ncommand = [\"web\"]\n[programs.web.leak]\nvms_max = \"1GB\"\n")
        #expect(vms?.message.hasPrefix(#"unknown key "vms_max"; expected one of: "#) == true)
        let typo = onlyDiagnostic(of: "[programs.web]\ncommand = [\"web\"]\n[programs.web.leak]\nfd_max = 10\n")
        #expect(typo?.message == #"unknown key "fd_max"; did you mean "fds_max"?"#)
        #expect(ConfigValidator.suggestion(for: "stop_timout", among: ConfigValidator.programKeys) == "stop_timeout")
        #expect(ConfigValidator.suggestion(for: "start_signal", among: ConfigValidator.programKeys) == nil)
    }

    @Test("the config file: -c, else $WARDEN_CONFIG, else /etc/warden/warden.toml when it exists")
    func location() {
        let none: (String) -> Bool = { _ in false }
        let all: (String) -> Bool = { _ in true }
        #expect(ConfigLocation.resolve(option: "a.toml", environment: ["WARDEN_CONFIG": "b.toml"], fileExists: all) == .option("a.toml"))
        #expect(ConfigLocation.resolve(option: nil, environment: ["WARDEN_CONFIG": "b.toml"], fileExists: none) == .environment("b.toml"))
        #expect(ConfigLocation.resolve(option: nil, environment: ["WARDEN_CONFIG": ""], fileExists: all) == .systemDefault)
        #expect(ConfigLocation.resolve(option: nil, environment: [:], fileExists: all)?.path == "/etc/warden/warden.toml")
        #expect(ConfigLocation.resolve(option: nil, environment: [:], fileExists: none) == nil)
    }

    @Test("log_timestamps: on by default, a boolean")
    func logTimestamps() {
        #expect(parseValid("[programs.a]\ncommand = [\"a\"]\n")?.programs[0].logTimestamps == true)
        #expect(parseValid("[programs.a]\ncommand = [\"a\"]\nlog_timestamps = false\n")?.programs[0].logTimestamps == false)
        #expect(onlyDiagnostic(of: "[programs.a]\ncommand = [\"a\"]\nlog_timestamps = \"no\"\n")?.key == "programs.a.log_timestamps")
    }
}
