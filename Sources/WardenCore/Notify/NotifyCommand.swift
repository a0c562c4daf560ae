/// What a notify datagram asks the supervisor to do, in the order systemd applies them
/// (systemd.service(5), sd_notify(3)). Values that do not parse are ignored, as systemd does.
public enum NotifyCommand: Sendable, Equatable {
    /// `MAINPID=N`: the service's main process is now N (checked by the runtime before it is honoured).
    case mainPID(Int32)
    /// `READY=1`: start-up finished.
    case ready
    /// `RELOADING=1`: the service is reloading its configuration (informational here).
    case reloading
    /// `STOPPING=1`: the service is shutting down on its own.
    case stopping
    /// `STATUS=text`: free-form one-line status, shown by `warden status`.
    case status(String)
    /// `ERRNO=N`: the service reports a failure as an errno number.
    case errno(Int32)
    /// `WATCHDOG=1`: keep-alive ping.
    case watchdogPing
    /// `WATCHDOG=trigger`: the service asks to be treated as if its watchdog had expired.
    case watchdogTrigger
    /// `EXTEND_TIMEOUT_USEC=N`: the current start or stop timeout must not expire sooner than N µs from now.
    case extendTimeout(microseconds: UInt64)

    /// The commands of `message`, in application order: MAINPID first (so the other commands of the same
    /// datagram are attributed to the new main process), then the rest in datagram order.
    public static func commands(of message: NotifyMessage) -> [NotifyCommand] {
        var first: [NotifyCommand] = []
        var rest: [NotifyCommand] = []
        for (key, value) in message.assignments {
            switch key {
            case "MAINPID":
                if let pid = Int32(value), pid > 1 { first.append(.mainPID(pid)) }
            case "READY" where value == "1": rest.append(.ready)
            case "RELOADING" where value == "1": rest.append(.reloading)
            case "STOPPING" where value == "1": rest.append(.stopping)
            case "STATUS": rest.append(.status(value))
            case "ERRNO":
                if let number = Int32(value), number >= 0 { rest.append(.errno(number)) }
            case "WATCHDOG" where value == "1": rest.append(.watchdogPing)
            case "WATCHDOG" where value == "trigger": rest.append(.watchdogTrigger)
            case "EXTEND_TIMEOUT_USEC":
                if let usec = UInt64(value) { rest.append(.extendTimeout(microseconds: usec)) }
            default: break
            }
        }
        return first + rest
    }
}
