// warden-workload — a small, foreign test/demo program that Warden supervises.
//
// It deliberately imports nothing from Warden: it stands in for "some program someone else wrote".
// Only Glibc is used (no Foundation) so that it starts quickly and its baseline RSS stays small.
//
// Usage: warden-workload MODE [options]      (warden-workload --help lists the modes)
//
// Conventions every public mode follows:
//   * prints `workload MODE pid=PID` on stdout first, then runs until killed unless stated otherwise;
//   * every stdout/stderr line is a single write(2), so it reaches a pipe immediately (no stdio buffering);
//   * memory it claims is really resident: every allocated page is written to;
//   * child processes are created with posix_spawn of our own executable plus a hidden mode argument,
//     never with fork() (unsafe in a threaded Swift process);
//   * bad mode or options: message on stderr, exit 64 (EX_USAGE).

internal import Glibc

@main
struct WardenWorkload {
    static func main() {
        let arguments = CommandLine.arguments
        let argv0 = arguments.first ?? "warden-workload"
        guard arguments.count >= 2 else {
            usageError("missing MODE")
        }
        let modeName = arguments[1]
        if modeName == "--help" || modeName == "-h" || modeName == "help" {
            printHelp()
            exit(0)
        }
        guard let spec = ModeSpec.named(modeName) else {
            usageError("unknown mode '\(modeName)'")
        }
        let options = Options.parse(spec: spec, arguments: Array(arguments.dropFirst(2)))
        let context = Context(argv0: argv0, options: options)

        switch spec.name {
        case "steady": runSteady(context)
        case "leak": runLeak(context)
        case "plateau": runPlateau(context)
        case "warmup": runWarmup(context)
        case "sawtooth": runSawtooth(context)
        case "step": runStep(context)
        case "fdleak": runFDLeak(context)
        case "threadleak": runThreadLeak(context)
        case "zombie-leader": runZombieLeader(context)
        case "connpool": runConnectionPool(context)
        case "connleak": runConnectionLeak(context)
        case "stubborn": runStubborn(context)
        case "crash": runCrash(context)
        case "daemonize": runDaemonize(context)
        case "env": runEnv(context)
        case "term-lines": runTermLines(context)
        case "spawn-tree": runSpawnTree(context)
        // Hidden modes: only ever started by the workload itself.
        case "stubborn-child": runStubbornChild(context)
        case "daemon-child": runDaemonChild(context)
        case "sleep-child": runSleepChild(context)
        default: usageError("unknown mode '\(modeName)'")
        }
    }
}

/// What a mode needs from the command line.
struct Context: Sendable {
    /// Our own argv[0], reused for spawned children so `ps` shows them as warden-workload too.
    let argv0: String
    let options: Options

    /// Prints the start line every public mode begins with.
    func announce() {
        emit("workload \(options.mode) pid=\(getpid())")
    }
}
