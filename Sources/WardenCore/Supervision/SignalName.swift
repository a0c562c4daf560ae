/// A signal that Warden's config may name (`stop_signal`, `cleanup_signal`), with its Linux number.
///
/// The raw value is the name without the `SIG` prefix, as the config and the CLI write it (`"TERM"`).
/// This is a pure name table; sending signals belongs to WardenLinux.
///
/// - Note: Numbers are Linux's generic ones (signal(7), x86-64 and arm64); they differ on other systems.
public enum SignalName: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    case hup = "HUP"
    case int = "INT"
    case quit = "QUIT"
    case kill = "KILL"
    case usr1 = "USR1"
    case usr2 = "USR2"
    case alrm = "ALRM"
    case term = "TERM"
    case cont = "CONT"
    case stop = "STOP"
    case winch = "WINCH"

    /// The Linux signal number, e.g. 15 for `TERM`.
    public var number: Int32 {
        switch self {
        case .hup: 1
        case .int: 2
        case .quit: 3
        case .kill: 9
        case .usr1: 10
        case .usr2: 12
        case .alrm: 14
        case .term: 15
        case .cont: 18
        case .stop: 19
        case .winch: 28
        }
    }

    /// The signal with Linux number `number`, or `nil` for a signal outside this table.
    public init?(number: Int32) {
        guard let match = Self.allCases.first(where: { $0.number == number }) else { return nil }
        self = match
    }

    /// Parses a config spelling: `"TERM"` or `"SIGTERM"`, in any letter case.
    /// - Returns: `nil` for an unknown name or a number (`"15"` is not accepted).
    public init?(parsing text: String) {
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        guard let match = Self(rawValue: name) else { return nil }
        self = match
    }

    /// `"SIGTERM"`, the way kill(1) and logs spell it.
    public var description: String { "SIG" + rawValue }

    /// The name of any Linux signal number for people: `SIGKILL`, `SIGSEGV`, `SIGRTMIN+6`, `signal 99`.
    /// Names outside the config's table come from signal(7)'s x86-64/arm64 numbering.
    public static func displayName(of number: Int32) -> String {
        if let name = SignalName(number: number) { return name.description }
        let others: [Int32: String] = [
            4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 11: "SIGSEGV", 13: "SIGPIPE",
            16: "SIGSTKFLT", 17: "SIGCHLD", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG",
            24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS",
        ]
        if let name = others[number] { return name }
        if (34...64).contains(number) { return number == 34 ? "SIGRTMIN" : "SIGRTMIN+\(number - 34)" }
        return "signal \(number)"
    }
}

/// A signal an operator asks Warden to send (`warden signal NAME SIG`, `POST /v1/processes/signal`): any
/// name of `SignalName`'s table (`USR1`, `SIGHUP`, any case) or a signal number 1...64 (real-time
/// signals and the rest of signal(7)).
public struct OperatorSignal: Sendable, Equatable, CustomStringConvertible {
    /// The Linux signal number.
    public let number: Int32

    /// Parses `USR1`, `SIGUSR1`, `usr1` or a number in 1...64; `nil` otherwise.
    public init?(parsing text: String) {
        if let name = SignalName(parsing: text) {
            number = name.number
        } else if let value = Int32(text), (1...64).contains(value) {
            number = value
        } else {
            return nil
        }
    }

    /// `SIGUSR1`, `SIGRTMIN+6`.
    public var description: String { SignalName.displayName(of: number) }
}
