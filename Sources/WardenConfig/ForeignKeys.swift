/// What a key or table from supervisord (or PM2) is called in Warden, for the diagnostics of a config
/// written from habit. Each hint names a Warden key only when it means the same thing; where Warden has no
/// such setting the hint says what Warden does instead. One table per place in the file.
enum ForeignKeys {
    /// Keys of supervisord's `[program:x]` and PM2's app entries, for `[programs.NAME]`.
    static let program: [String: String] = [
        "autorestart": #"supervisord's autorestart is restart = "always" | "on-failure" | "never" (its true | unexpected | false)"#,
        "startsecs": #"supervisord's startsecs is start_seconds, a duration: start_seconds = "1s""#,
        "startretries": "supervisord's startretries is start_retries",
        "stopsignal": #"supervisord's stopsignal is stop_signal: stop_signal = "TERM""#,
        "stopwaitsecs": #"supervisord's stopwaitsecs is stop_timeout, a duration: stop_timeout = "10s""#,
        "stopasgroup": "Warden always sends stop_signal to the whole process group; remove it",
        "killasgroup": "Warden always SIGKILLs the whole process tree after stop_timeout; remove it",
        "exitcodes": #"restart = "on-failure" restarts after any non-zero exit status; there is no list of expected codes"#,
        "process_name": "instances are named PROGRAM:N (PROGRAM alone when numprocs = 1); remove it",
        "numprocs_start": "instances are numbered from 0 (WARDEN_PROCESS_INDEX); remove it",
        "priority": "Warden starts programs together, without ordering; remove it",
        "user": "Warden runs every program as its own user; run one Warden per user (systemd User=)",
        "redirect_stderr": "stderr is captured on its own in STATE_DIR/logs/NAME.err.log (warden logs NAME --stderr); remove it",
        "stdout_logfile": "stdout is captured in STATE_DIR/logs/NAME.out.log (warden logs NAME); remove it",
        "stderr_logfile": "stderr is captured in STATE_DIR/logs/NAME.err.log (warden logs NAME --stderr); remove it",
        "stdout_logfile_maxbytes": "captured output rotates at [supervisor] log_max_bytes, for every program",
        "stdout_logfile_backups": "rotated files kept: [supervisor] log_backups, for every program",
        "stderr_logfile_maxbytes": "captured output rotates at [supervisor] log_max_bytes, for every program",
        "stderr_logfile_backups": "rotated files kept: [supervisor] log_backups, for every program",
        "instances": "PM2's instances is numprocs",
        "cwd": "PM2's cwd is directory",
        "env": #"PM2's env is environment: environment = { KEY = "value" }"#,
        "script": #"write the whole argv as command = ["python3", "app.py"]"#,
        "args": #"write the whole argv as command = ["python3", "app.py", "--port", "8080"]"#,
        "min_uptime": #"PM2's min_uptime is start_seconds, a duration: start_seconds = "1s""#,
        "kill_timeout": #"PM2's kill_timeout is stop_timeout, a duration: stop_timeout = "10s""#,
        "max_memory_restart": #"PM2's max_memory_restart is rss_max in [programs.NAME.leak]: rss_max = "500MB""#,
    ]

    /// Keys of supervisord's `[supervisord]` section, for `[supervisor]`.
    static let supervisor: [String: String] = [
        "logfile": "Warden logs to its stderr (the journal under systemd); remove it",
        "pidfile": "Warden runs in the foreground (systemd Type=notify); remove it",
        "nodaemon": "Warden always runs in the foreground; remove it",
        "childlogdir": "captured output goes to STATE_DIR/logs: set state_dir",
    ]

    /// Tables of supervisord's file at the top level.
    static let root: [String: String] = [
        "supervisord": "supervisord's [supervisord] is [supervisor]",
        "inet_http_server": #"the TCP listener is [http] listen = "127.0.0.1:9180" with token_file"#,
        "unix_http_server": "the control socket is always STATE_DIR/warden.sock; remove it",
        "supervisorctl": "the warden commands find the socket from -c FILE (or --socket); remove it",
        "include": "Warden reads one file; remove it",
    ]

    /// The foreign-key table for the keys of the table at `path`, if there is one.
    static func table(at path: [String]) -> [String: String]? {
        switch path.count {
        case 0: root
        case 1 where path[0] == "supervisor": supervisor
        case 2 where path[0] == "programs": program
        default: nil
        }
    }

    /// Words that name different things, never misspellings of each other: a key that differs from a
    /// known key by one of these words (`vms_max` and `rss_max`) gets no "did you mean".
    static let distinctWords: Set<String> = [
        "rss", "vms", "pss", "uss", "fds", "cpu", "mem", "swap", "start", "stop", "min", "max", "low", "high",
    ]

    /// Whether `typed` and `known` put two different words of `distinctWords` in the same place.
    static func differInMeaning(_ typed: String, _ known: String) -> Bool {
        let a = typed.split(separator: "_"), b = known.split(separator: "_")
        guard a.count == b.count else { return false }
        return zip(a, b).contains { $0 != $1 && distinctWords.contains(String($0)) && distinctWords.contains(String($1)) }
    }

    /// supervisord's section headers that TOML cannot parse (`[program:web]`, `[group:x]`), with the line
    /// (1-based) and what Warden writes instead; empty when there are none.
    static func sectionHeaders(in text: String) -> [(line: Int, message: String)] {
        foreignSections(in: text).map { ($0.line, $0.message) }
    }

    /// Prefix of the table that stands in for a foreign section with no Warden equivalent while the rest
    /// of the file is checked; diagnostics about it are dropped.
    static let placeholderPrefix = "__supervisord_section_"

    /// `text` with each foreign section header replaced, on its own line, by valid TOML: `[program:web]`
    /// by `[programs."web"]` (so its keys are checked as a program's, with their hints), the others by a
    /// placeholder table. Line numbers are unchanged.
    static func replacingSectionHeaders(in text: String) -> String {
        let replacements = Dictionary(foreignSections(in: text).map { ($0.line, $0.replacement) }, uniquingKeysWith: { a, _ in a })
        guard !replacements.isEmpty else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { number, line in
            replacements[number + 1] ?? String(line)
        }.joined(separator: "\n")
    }

    private static func foreignSections(in text: String) -> [(line: Int, message: String, replacement: String)] {
        var found: [(Int, String, String)] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingWhitespace()
            guard line.hasPrefix("["), !line.hasPrefix("[["), let close = line.firstIndex(of: "]"),
                  let colon = line.firstIndex(of: ":"), colon < close else { continue }
            let kind = line[line.index(after: line.startIndex)..<colon].trimmingWhitespace()
            let name = line[line.index(after: colon)..<close].trimmingWhitespace()
            let placeholder = "[\(placeholderPrefix)\(number + 1)]"
            switch kind {
            case "program", "fcgi-program":
                let quoted = name.contains("\"") || name.contains("\\") ? placeholder : "[programs.\"\(name)\"]"
                found.append((number + 1, "supervisord's [\(kind):\(name)] is [programs.\(name)] in Warden", quoted))
            case "group":
                found.append((number + 1, "supervisord's [group:\(name)] has no equivalent: name the programs (or all) in each command", placeholder))
            case "eventlistener":
                found.append((number + 1, "supervisord's [eventlistener:\(name)] has no equivalent: read STATE_DIR/events.jsonl or warden events -f", placeholder))
            case "rpcinterface":
                found.append((number + 1, "supervisord's [rpcinterface:\(name)] has no equivalent: the control API is always on; remove it", placeholder))
            default:
                continue
            }
        }
        return found
    }
}

private extension StringProtocol {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
        var text = String(String.UnicodeScalarView(scalars))
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text.removeLast() }
        return text
    }
}
