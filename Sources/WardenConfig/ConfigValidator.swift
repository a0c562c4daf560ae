import TOMLKit
import WardenCore

/// Turns a parsed `TOMLTable` into typed settings, collecting a `Diagnostic` for every problem.
///
/// Walks every table once, in key order. A key with a problem keeps its default so that the walk can go
/// on and later, independent problems are reported too; cross-key rules (`backoff_max >= backoff`,
/// increasing thresholds) are checked only when the keys involved are individually valid, so one
/// mistake produces one diagnostic.
struct ConfigValidator {
    /// The config file as the caller named it; copied into every diagnostic.
    let file: String
    /// Absolute directory of the config file; relative paths in the config are resolved against it.
    let baseDirectory: String
    let index: KeyLineIndex
    private(set) var diagnostics: [Diagnostic] = []
    /// Whether `[supervisor] max_processes` was given (the bound is then reported at it).
    var maxProcessesGiven = false
    /// The `[http]` table, once `validate` has run (nil without one, or when it has a problem).
    private(set) var http: HTTPSettings?
    /// The `[history]` table (defaults without one), once `validate` has run; the path is set from the state
    /// directory when not given.
    private(set) var history: HistorySettings?

    init(file: String, baseDirectory: String, index: KeyLineIndex) {
        self.file = file
        self.baseDirectory = baseDirectory
        self.index = index
    }

    // MARK: Key tables

    static let rootKeys = ["supervisor", "http", "history", "programs", "collectors", "notify"]
    static let httpKeys = ["listen", "token_file"]
    static let historyKeys = ["enabled", "path", "retention", "max_bytes"]
    static let supervisorKeys = ["state_dir", "sample_interval", "shutdown_timeout", "log_max_bytes", "log_backups",
                                 "max_processes", "api_max_connections", "api_idle_timeout"] + memoryPressureKeys
    static let programKeys = [
        "command", "directory", "environment", "numprocs", "autostart", "restart", "start_seconds",
        "start_retries", "backoff", "backoff_max", "stop_signal", "stop_timeout", "leak", "ready",
        "notify_access", "start_timeout", "watchdog", "start_limit_burst", "start_limit_interval",
        "log_timestamps",
    ] + restartLoopKeys
    static let leakKeys = [
        "window", "low", "medium", "high", "critical", "sustain", "rss_max", "fds_max", "threads_max",
        "on_critical", "cleanup_signal", "connection_leak",
    ]
    static let numprocsRange = 1...1000
    static let logBackupsRange = 0...1000
    static let maxProcessesRange = 1...1_000_000
    static let apiMaxConnectionsRange = 1...100_000

    // MARK: Reporting

    /// Records a problem with the key at `path`, located at that key's line (or its table's, when the
    /// key is missing).
    mutating func report(_ path: [String], _ message: String) {
        diagnostics.append(
            Diagnostic(file: file, line: index.line(of: path), key: path.isEmpty ? nil : Self.shownKey(path), message: message))
    }

    /// The key path as a diagnostic shows it: each key cut after `ProgramNames.maxLength` characters (a
    /// 900 KB table name must not be echoed whole).
    static func shownKey(_ path: [String]) -> String {
        TOMLText.keyPath(path.map { $0.count > ProgramNames.maxLength ? $0.prefix(ProgramNames.maxLength) + "…" : $0 })
    }

    // MARK: Document

    /// Validates the whole document.
    /// - Returns: the settings and the programs (sorted by name); meaningful only if `diagnostics` is empty.
    mutating func validate(_ root: TOMLTable) -> (SupervisorSettings, [ProgramConfiguration]) {
        if let value = root["http"], let table = table(value, at: ["http"]) { http = validateHTTP(table) }
        var historyTable: TOMLTable?
        if let value = root["history"] { historyTable = table(value, at: ["history"]) }
        rejectUnknownKeys(in: root, at: [], allowed: Self.rootKeys)
        var supervisor = SupervisorSettings(
            stateDirectory: LexicalPath.resolve(SupervisorSettings.defaultStateDirectory, against: baseDirectory))
        if let value = root["supervisor"], let table = table(value, at: ["supervisor"]) {
            supervisor = validateSupervisor(table)
        }
        var programs: [ProgramConfiguration] = []
        if let value = root["programs"],
            let table = table(value, at: ["programs"], hint: "; write one [programs.NAME] table per program")
        {
            for name in table.keys.sorted() {
                guard let programValue = table[name],
                    let programTable = self.table(programValue, at: ["programs", name], hint: "; write [programs.\(TOMLText.key(name))]")
                else { continue }
                if let program = validateProgram(name: name, programTable) { programs.append(program) }
            }
        }
        history = validateHistory(historyTable, stateDirectory: supervisor.stateDirectory)
        return (supervisor, programs)
    }

    /// `[history]`: `enabled`, `path` (default STATE_DIR/history.sqlite), `retention` (≥ 1 h), `max_bytes`.
    mutating func validateHistory(_ table: TOMLTable?, stateDirectory: String) -> HistorySettings {
        var settings = HistorySettings(path: LexicalPath.resolve(HistorySettings.defaultFileName, against: stateDirectory))
        guard let table else { return settings }
        let path = ["history"]
        rejectUnknownKeys(in: table, at: path, allowed: Self.historyKeys)
        if let value = table["enabled"], let flag = boolean(value, at: path + ["enabled"]) { settings.enabled = flag }
        if let value = table["path"], let file = self.path(value, at: path + ["path"]) { settings.path = file }
        if let value = table["retention"], let retention = duration(value, at: path + ["retention"], positive: true) {
            if retention < .seconds(3_600) {
                report(path + ["retention"], "must be at least 1h; the history's coarsest tier is 10 minutes")
            } else {
                settings.retention = retention
            }
        }
        if let value = table["max_bytes"], let size = size(value, at: path + ["max_bytes"]) {
            if size.bytes < 10_000_000 {
                report(path + ["max_bytes"], "must be at least 10MB")
            } else {
                settings.maxBytes = size.bytes
            }
        }
        return settings
    }

    mutating func validateSupervisor(_ table: TOMLTable) -> SupervisorSettings {
        let path = ["supervisor"]
        rejectUnknownKeys(in: table, at: path, allowed: Self.supervisorKeys)
        var settings = SupervisorSettings(
            stateDirectory: LexicalPath.resolve(SupervisorSettings.defaultStateDirectory, against: baseDirectory))
        if let value = table["state_dir"], let directory = self.path(value, at: path + ["state_dir"]) {
            settings.stateDirectory = directory
        }
        if let value = table["sample_interval"], let interval = duration(value, at: path + ["sample_interval"], positive: true) {
            settings.sampleInterval = interval
        }
        if let value = table["shutdown_timeout"], let timeout = duration(value, at: path + ["shutdown_timeout"]) {
            settings.shutdownTimeout = timeout
        }
        if let value = table["log_max_bytes"], let size = size(value, at: path + ["log_max_bytes"]) {
            settings.logMaxBytes = size.bytes
        }
        if let value = table["log_backups"], let count = integer(value, at: path + ["log_backups"], in: Self.logBackupsRange) {
            settings.logBackups = count
        }
        if let value = table["max_processes"], let count = integer(value, at: path + ["max_processes"], in: Self.maxProcessesRange) {
            settings.maxProcesses = count
            maxProcessesGiven = true
        }
        if let value = table["api_max_connections"],
           let count = integer(value, at: path + ["api_max_connections"], in: Self.apiMaxConnectionsRange) {
            settings.apiMaxConnections = count
        }
        if let value = table["api_idle_timeout"], let timeout = duration(value, at: path + ["api_idle_timeout"], positive: true) {
            settings.apiIdleTimeout = timeout
        }
        settings.memoryPressure = validateMemoryPressure(table, at: path)
        return settings
    }

    /// The bound on the processes a config starts (`max_processes`): every instance of every program, and
    /// one per collector. Reported at `max_processes` when set, else at the program that crosses it.
    mutating func checkProcessBound(_ settings: SupervisorSettings, programs: [ProgramConfiguration], collectors: Int) {
        var total = collectors
        var crossing: String?
        for program in programs {
            total += program.numprocs
            if total > settings.maxProcesses, crossing == nil { crossing = program.name }
        }
        guard total > settings.maxProcesses else { return }
        let message = "the config starts \(total) processes (instances and collectors), more than max_processes = \(settings.maxProcesses); raise [supervisor] max_processes if that is intended"
        if maxProcessesGiven {
            report(["supervisor", "max_processes"], message)
        } else {
            report(["programs", crossing ?? programs.last?.name ?? ""], message)
        }
    }

    /// `[http]`: `listen` (HOST:PORT) needs `token_file`, a file only its owner can read.
    mutating func validateHTTP(_ table: TOMLTable) -> HTTPSettings? {
        let path = ["http"]
        rejectUnknownKeys(in: table, at: path, allowed: Self.httpKeys)
        var address: (host: String, port: Int)?
        if let value = table["listen"], let text = string(value, at: path + ["listen"]) {
            address = ListenAddress.parse(text)
            if address == nil {
                let port = text.split(separator: ":").last.flatMap { Int($0) }
                let why = port.map { (1...65535).contains($0) ? "" : " (port \($0) is out of 1-65535)" } ?? ""
                report(path + ["listen"], "invalid address \(TOMLText.quoted(text))\(why); write HOST:PORT with an IP address, e.g. \"127.0.0.1:9180\" or \"[::1]:9180\"")
            }
        } else if table["listen"] == nil {
            report(path + ["listen"], "missing required key; write e.g. listen = \"127.0.0.1:9180\"")
        }
        var token: (file: String, secret: [UInt8])?
        if let value = table["token_file"], let file = self.path(value, at: path + ["token_file"]) {
            switch ConfigFile.token(at: file) {
            case .success(let bytes): token = (file, bytes)
            case .failure(let problem): report(path + ["token_file"], problem.message)
            }
        } else if table["token_file"] == nil, table["listen"] != nil {
            report(path + ["listen"], "a TCP listener needs token_file (a file mode 0600 holding the bearer token every request must present)")
        }
        guard let address, let token else { return nil }
        return HTTPSettings(host: address.host, port: address.port, tokenFile: token.file, token: Secret(token.secret))
    }

    /// - Returns: `nil` when the program cannot be built (bad name, no usable command).
    mutating func validateProgram(name: String, _ table: TOMLTable) -> ProgramConfiguration? {
        let path = ["programs", name]
        var valid = true
        if let problem = Self.programNameProblem(name) {
            report(path, problem)
            valid = false
        }
        rejectUnknownKeys(in: table, at: path, allowed: Self.programKeys)

        var program = ProgramConfiguration(name: name, command: [])
        if let value = table["command"] {
            if let command = command(value, at: path + ["command"]) { program.command = command } else { valid = false }
        } else {
            report(path + ["command"], "missing required key; write e.g. command = [\"python3\", \"-m\", \"http.server\"]")
            valid = false
        }
        if let value = table["directory"], let directory = self.path(value, at: path + ["directory"]) {
            program.directory = directory
        }
        if let value = table["environment"], let environment = environment(value, at: path + ["environment"]) {
            program.environment = environment
        }
        if let value = table["numprocs"], let count = integer(value, at: path + ["numprocs"], in: Self.numprocsRange) {
            program.numprocs = count
        }
        if let value = table["autostart"], let flag = boolean(value, at: path + ["autostart"]) {
            program.autostart = flag
        }
        if let value = table["restart"], let policy: RestartPolicy = choice(value, at: path + ["restart"]) {
            program.restart = policy
        }
        if let value = table["start_seconds"], let seconds = duration(value, at: path + ["start_seconds"]) {
            program.startSeconds = seconds
        }
        if let value = table["start_retries"], let retries = integer(value, at: path + ["start_retries"], in: 0...Int.max) {
            program.startRetries = retries
        }
        if let value = table["start_limit_burst"],
           let burst = integer(value, at: path + ["start_limit_burst"], in: 0...Int(Int32.max)) {
            program.startLimitBurst = burst
        }
        if let value = table["start_limit_interval"],
           let interval = duration(value, at: path + ["start_limit_interval"], positive: true) {
            program.startLimitInterval = interval
        }
        var backoffValid = true
        // Zero is refused: a zero backoff retries failed starts, and start-limited restarts, in a busy loop.
        if let value = table["backoff"] {
            if let backoff = duration(value, at: path + ["backoff"], positive: true) { program.backoff = backoff } else { backoffValid = false }
        }
        if let value = table["backoff_max"] {
            if let backoffMax = duration(value, at: path + ["backoff_max"], positive: true) { program.backoffMax = backoffMax } else { backoffValid = false }
        }
        if backoffValid, program.backoffMax < program.backoff {
            let maxText = DurationText.format(program.backoffMax)
            let minText = DurationText.format(program.backoff)
            if table["backoff_max"] != nil {
                report(path + ["backoff_max"], "must be >= backoff (\(minText)), got \(maxText)")
            } else {
                report(path + ["backoff"], "must be <= backoff_max (\(maxText), the default), got \(minText); raise backoff_max too")
            }
        }
        if let value = table["log_timestamps"], let flag = boolean(value, at: path + ["log_timestamps"]) {
            program.logTimestamps = flag
        }
        if let value = table["stop_signal"], let signal = signal(value, at: path + ["stop_signal"]) {
            program.stopSignal = signal
        }
        if let value = table["stop_timeout"], let timeout = duration(value, at: path + ["stop_timeout"]) {
            program.stopTimeout = timeout
        }
        program.restartLoop = validateRestartLoop(table, at: path)
        if let value = table["leak"], let leakTable = self.table(value, at: path + ["leak"]) {
            program.leak = validateLeak(leakTable, at: path + ["leak"])
        }
        if let value = table["ready"], let mode: ReadinessMode = choice(value, at: path + ["ready"]) {
            program.ready = mode
        }
        if let value = table["notify_access"], let access: NotifyAccess = choice(value, at: path + ["notify_access"]) {
            program.notifyAccess = access
        }
        if let value = table["start_timeout"], let timeout = duration(value, at: path + ["start_timeout"], positive: true) {
            program.startTimeout = timeout
        }
        if let value = table["watchdog"], let period = duration(value, at: path + ["watchdog"], positive: true) {
            if period < .milliseconds(10) {
                report(path + ["watchdog"], "must be at least \"10ms\", got \(TOMLText.quoted(DurationText.format(period)))")
            } else {
                program.watchdog = period
            }
        }
        return valid ? program : nil
    }

    mutating func validateLeak(_ table: TOMLTable, at path: [String]) -> LeakSettings {
        rejectUnknownKeys(in: table, at: path, allowed: Self.leakKeys)
        var leak = LeakSettings()
        if let value = table["window"], let window = duration(value, at: path + ["window"], positive: true) {
            leak.window = window
        }
        if let value = table["sustain"], let sustain = duration(value, at: path + ["sustain"]) {
            leak.sustain = sustain
        }

        let thresholdKeys = ["low", "medium", "high", "critical"]
        var thresholds = [leak.low, leak.medium, leak.high, leak.critical]
        var thresholdsValid = true
        for (position, key) in thresholdKeys.enumerated() {
            guard let value = table[key] else { continue }
            if let rate = number(value, at: path + [key], unit: "MiB/min") {
                thresholds[position] = rate
            } else {
                thresholdsValid = false
            }
        }
        (leak.low, leak.medium, leak.high, leak.critical) = (thresholds[0], thresholds[1], thresholds[2], thresholds[3])
        if thresholdsValid {
            let order = "thresholds must satisfy low <= medium <= high <= critical"
            for position in 0..<3 where thresholds[position] > thresholds[position + 1] {
                let (lower, upper) = (thresholdKeys[position], thresholdKeys[position + 1])
                let (lowerValue, upperValue) = (TOMLText.number(thresholds[position]), TOMLText.number(thresholds[position + 1]))
                if table[upper] != nil {
                    let lowerNote = table[lower] != nil ? "" : ", the default"
                    report(path + [upper], "must be >= \(lower) (\(lowerValue)\(lowerNote)), got \(upperValue); \(order)")
                } else {
                    report(path + [lower], "must be <= \(upper) (\(upperValue), the default), got \(lowerValue); \(order)")
                }
            }
        }

        if let value = table["rss_max"], let size = size(value, at: path + ["rss_max"]) {
            leak.rssMax = size
        }
        if let value = table["fds_max"], let limit = integer(value, at: path + ["fds_max"], in: 1...Int.max) {
            leak.fdsMax = limit
        }
        if let value = table["threads_max"], let limit = integer(value, at: path + ["threads_max"], in: 1...Int.max) {
            leak.threadsMax = limit
        }
        if let value = table["on_critical"], let action: LeakSettings.CriticalAction = choice(value, at: path + ["on_critical"]) {
            leak.onCritical = action
        }
        if let value = table["cleanup_signal"], let signal = signal(value, at: path + ["cleanup_signal"]) {
            leak.cleanupSignal = signal
        }
        if let value = table["connection_leak"],
            let action: LeakSettings.ConnectionLeakAction = choice(value, at: path + ["connection_leak"])
        {
            leak.connectionLeak = action
        }
        return leak
    }
}
