// Mode table, option parsing and --help.

internal import Glibc

/// The exit code for bad usage (sysexits.h EX_USAGE).
let exitUsage: Int32 = 64

enum OptionKind: Sendable {
    /// A finite, non-negative decimal number (e.g. `0.2`, `100`).
    case number
    /// A non-negative whole number.
    case integer
    /// Free text (a path).
    case text
    /// A boolean switch taking no value.
    case flag
}

struct OptionSpec: Sendable {
    let name: String
    let kind: OptionKind
    let help: String
}

struct ModeSpec: Sendable {
    let name: String
    let summary: String
    let options: [OptionSpec]
    /// Hidden modes are the workload's own children; they are not listed by --help.
    let hidden: Bool

    init(_ name: String, _ summary: String, _ options: [OptionSpec] = [], hidden: Bool = false) {
        self.name = name
        self.summary = summary
        self.options = options
        self.hidden = hidden
    }

    func option(_ name: String) -> OptionSpec? {
        options.first { $0.name == name }
    }

    static func named(_ name: String) -> ModeSpec? {
        all.first { $0.name == name }
    }

    static let all: [ModeSpec] = [
        ModeSpec(
            "steady", "allocate and touch M MiB once, then idle; heartbeat line every 5 s",
            [OptionSpec(name: "mb", kind: .number, help: "M, MiB to allocate at start (default 5)")]),
        ModeSpec(
            "leak", "grow RSS by R MiB per minute (every 100 ms), never free",
            [
                OptionSpec(name: "mb-per-min", kind: .number, help: "R, growth rate in MiB/min (required)"),
                OptionSpec(name: "max-mb", kind: .number, help: "stop growing at M MiB (default and hard cap 4096)"),
            ]),
        ModeSpec(
            "plateau", "grow to M MiB over S seconds, then stay flat (cache warm-up)",
            [
                OptionSpec(name: "mb", kind: .number, help: "M, MiB to reach (default 100)"),
                OptionSpec(name: "seconds", kind: .number, help: "S, ramp duration (default 2)"),
            ]),
        ModeSpec(
            "warmup", "grow towards M MiB as M·(1 − e^(−t/τ)) (every 100 ms): an exponential warm-up, initial slope M/τ",
            [
                OptionSpec(name: "mb", kind: .number, help: "M, the plateau in MiB (default 400)"),
                OptionSpec(name: "tau", kind: .number, help: "τ, the time constant in seconds (default 180, min 0.1)"),
            ]),
        ModeSpec(
            "sawtooth", "allocate up to M MiB over the first half of each period, then free it all",
            [
                OptionSpec(name: "mb", kind: .number, help: "M, peak MiB (default 50)"),
                OptionSpec(name: "period", kind: .number, help: "S, period in seconds (default 2, min 0.1)"),
            ]),
        ModeSpec(
            "step", "idle S seconds, allocate M MiB at once, then stay flat",
            [
                OptionSpec(name: "mb", kind: .number, help: "M, MiB to allocate (default 80)"),
                OptionSpec(name: "after", kind: .number, help: "S, seconds before the step (default 1)"),
            ]),
        ModeSpec(
            "fdleak", "open /dev/null N times per second, never close",
            [OptionSpec(name: "per-sec", kind: .number, help: "N, opens per second (default 10)")]),
        ModeSpec(
            "connpool", "open N TCP connections to 127.0.0.1:PORT and hold them (a steady pool)",
            [OptionSpec(name: "port", kind: .integer, help: "PORT on 127.0.0.1 (required)"),
             OptionSpec(name: "count", kind: .integer, help: "N, connections held (default 5)")]),
        ModeSpec(
            "connleak", "open one TCP connection to 127.0.0.1:PORT every S seconds, never close any",
            [OptionSpec(name: "port", kind: .integer, help: "PORT on 127.0.0.1 (required)"),
             OptionSpec(name: "every", kind: .number, help: "S, seconds between connections (default 1)")]),
        ModeSpec(
            "zombie-leader", "hold M MiB and N fds, start T sleeping threads, then end the main thread (pthread_exit): a zombie leader with live threads",
            [OptionSpec(name: "mb", kind: .number, help: "M, MiB held (default 50)"),
             OptionSpec(name: "fds", kind: .integer, help: "N, descriptors opened on /dev/null (default 30)"),
             OptionSpec(name: "threads", kind: .integer, help: "T, threads that sleep forever (default 4)")]),
        ModeSpec(
            "threadleak", "start N threads per second that sleep forever (64 KiB stacks)",
            [OptionSpec(name: "per-sec", kind: .number, help: "N, threads per second (default 2)")]),
        ModeSpec(
            "stubborn", "ignore SIGTERM/SIGINT; spawn one child that ignores them too (prints `child pid=N`)",
            [
                OptionSpec(
                    name: "child-setpgid", kind: .flag,
                    help: "the child gets its own process group, out of reach of a group kill"),
            ]),
        ModeSpec(
            "crash", "sleep S seconds, print a line on stderr, exit with code 3",
            [
                OptionSpec(name: "after", kind: .number, help: "S, seconds before exiting, e.g. 0.2 (default 0)"),
                OptionSpec(name: "code", kind: .integer, help: "exit code 0-255 (default 3)"),
            ]),
        ModeSpec(
            "daemonize", "spawn a daemon in a new session (prints `daemon pid=N`), keep running",
            [
                OptionSpec(name: "pidfile", kind: .text, help: "the daemon writes its pid to PATH"),
                OptionSpec(name: "exit-parent", kind: .flag, help: "exit 0 right after spawning the daemon"),
            ]),
        ModeSpec("env", "print the environment (sorted K=V lines), then `fd N` per open fd; idle"),
        ModeSpec(
            "term-lines", "idle; on SIGTERM print `line 1`..`line N` on stdout, then exit 0",
            [OptionSpec(name: "count", kind: .integer, help: "N, lines to print (default 10)")]),
        ModeSpec(
            "spawn-tree", "spawn N children in our process group that sleep forever (prints `child pid=N` each)",
            [OptionSpec(name: "children", kind: .integer, help: "N, children to spawn (default 3, max 1000)")]),
        // Hidden modes.
        ModeSpec(
            "stubborn-child", "child of stubborn",
            [OptionSpec(name: "setpgid", kind: .flag, help: "move into a new process group")], hidden: true),
        ModeSpec(
            "daemon-child", "child of daemonize",
            [OptionSpec(name: "pidfile", kind: .text, help: "write pid here")], hidden: true),
        ModeSpec("sleep-child", "child of spawn-tree", hidden: true),
    ]
}

/// Parsed options of one mode. Accessors validate and exit 64 on a bad value.
struct Options: Sendable {
    let mode: String
    private(set) var values: [String: String] = [:]
    private(set) var flags: Set<String> = []

    static func parse(spec: ModeSpec, arguments: [String]) -> Options {
        var options = Options(mode: spec.name)
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" {
                printHelp()
                exit(0)
            }
            guard argument.hasPrefix("--"), argument.count > 2 else {
                usageError("unexpected argument '\(argument)' for mode \(spec.name)")
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let option = spec.option(name) else {
                usageError("unknown option '--\(name)' for mode \(spec.name)")
            }
            if option.kind == .flag {
                if inlineValue != nil {
                    usageError("option '--\(name)' takes no value")
                }
                options.flags.insert(name)
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard index < arguments.count else {
                    usageError("option '--\(name)' needs a value")
                }
                value = arguments[index]
                index += 1
            }
            options.values[name] = value
        }
        return options
    }

    func flag(_ name: String) -> Bool {
        flags.contains(name)
    }

    func text(_ name: String) -> String? {
        guard let value = values[name] else { return nil }
        if value.isEmpty {
            usageError("option '--\(name)' needs a non-empty value")
        }
        return value
    }

    /// A finite number in `minimum...maximum`; `defaultValue == nil` makes the option required.
    func number(_ name: String, default defaultValue: Double?, minimum: Double = 0, maximum: Double? = nil) -> Double {
        guard let raw = values[name] else {
            guard let defaultValue else {
                usageError("mode \(mode) needs '--\(name)'")
            }
            return defaultValue
        }
        guard let value = Double(raw), value.isFinite else {
            usageError("option '--\(name)' expects a number, got '\(raw)'")
        }
        if value < minimum {
            usageError("option '--\(name)' must be at least \(format(minimum)), got \(raw)")
        }
        if let maximum, value > maximum {
            usageError("option '--\(name)' must be at most \(format(maximum)), got \(raw)")
        }
        return value
    }

    func integer(_ name: String, default defaultValue: Int, minimum: Int = 0, maximum: Int) -> Int {
        guard let raw = values[name] else { return defaultValue }
        guard let value = Int(raw) else {
            usageError("option '--\(name)' expects a whole number, got '\(raw)'")
        }
        if value < minimum || value > maximum {
            usageError("option '--\(name)' must be between \(minimum) and \(maximum), got \(raw)")
        }
        return value
    }
}

func usageError(_ message: String) -> Never {
    emitError("warden-workload: \(message)\nRun 'warden-workload --help' for the list of modes.")
    exit(exitUsage)
}

func printHelp() {
    var text = "usage: warden-workload MODE [options]\n\nModes:\n"
    for mode in ModeSpec.all where !mode.hidden {
        text += "  \(mode.name)\n      \(mode.summary)\n"
        for option in mode.options {
            let value: String
            switch option.kind {
            case .flag: value = ""
            case .text: value = " PATH"
            case .number, .integer: value = " N"
            }
            let flag = "--\(option.name)\(value)"
            text += "      " + flag + String(repeating: " ", count: max(2, 20 - flag.count)) + option.help + "\n"
        }
    }
    text += """

        Every mode first prints `workload MODE pid=PID` on stdout and runs until killed unless stated.
        Options also accept the --name=value form. Bad usage exits with code 64.
        """
    emit(text)
}
