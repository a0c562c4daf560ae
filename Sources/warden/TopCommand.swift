import ArgumentParser
import Dispatch
import Glibc
import WardenAPI
import WardenClient
import WardenCore

/// `warden top [-c FILE] [--interval S] [--no-color] [--once]`: a live terminal view.
struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "A live view of the processes (fastest-growing first), the pools and the open alerts.",
        discussion: """
            Redraws every --interval seconds on the terminal's alternate screen; q (or Ctrl-C) quits and \
            restores the terminal (so do SIGTERM, SIGHUP and Ctrl-\\). Severity is written as text and, unless --no-color or NO_COLOR is set, \
            coloured: critical bold red, high red, medium yellow, low cyan. When stdout is not a terminal, or \
            with --once, one frame is printed without colour or screen control.

            \(ExitStatus.help)
            """)

    @OptionGroup var options: ConfigOption

    @Option(help: "Seconds between refreshes (0.2 to 60).")
    var interval: Double = 1

    @Flag(help: "No colours (severity stays written as text).")
    var noColor = false

    @Flag(help: "Print one frame and exit.")
    var once = false

    func validate() throws {
        guard interval.isFinite, interval >= 0.2, interval <= 60 else {
            throw ValidationError("--interval must be between 0.2 and 60 seconds")
        }
    }

    func run() async throws {
        var client = WardenClient(socketPath: try options.socketPath())
        client.queryTimeout = .seconds(max(1, interval * 2))
        guard !once, isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
            // One frame: an unreachable Warden is an error here (exit 3), as for `warden status`.
            let screen = try await withClient(options) { client throws(WardenClientError) in try await Self.fetch(client) }
            print(screen.render(width: Int.max / 2, height: Int.max / 2, color: false).joined(separator: "\n"))
            return
        }
        let terminal = try RawTerminal.enter()
        defer { terminal.leave() }
        let color = !noColor && getenv("NO_COLOR") == nil
        var last = TopScreen(processes: [], pools: [], alerts: [], clock: Self.clock())
        while true {
            do {
                last = try await Self.fetch(client)
            } catch {
                last.problem = "\(error)"
                last.clock = Self.clock()
            }
            let (width, height) = RawTerminal.size()
            terminal.draw(last.render(width: width, height: height, color: color))
            // Wait out the interval, looking at the keyboard every 50 ms (reads never block: VMIN = VTIME = 0).
            var waited = 0.0
            while waited < interval {
                if terminal.quitRequested() { return }
                try await Task.sleep(for: .milliseconds(50))
                waited += 0.05
            }
        }
    }

    /// Status, pools and alerts (three requests on the control socket, a few ms).
    static func fetch(_ client: WardenClient) async throws(WardenClientError) -> TopScreen {
        TopScreen(
            processes: try await client.status(), pools: try await client.pools().pools,
            alerts: try await client.alerts().alerts, clock: clock())
    }

    static func clock() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let text = RFC3339Text.string(secondsSinceEpoch: Double(now.tv_sec))
        // 2026-12-06T21:40:05.000Z → 21:40:05
        return String(text.dropFirst(11).prefix(8))
    }
}

/// The terminal in top's mode: no echo, no line buffering, alternate screen, cursor hidden. `leave()` (also
/// run on SIGINT, SIGTERM, SIGHUP and SIGQUIT, which then exit 128 + signal) puts back what `enter()` found.
final class RawTerminal {
    private let saved: termios
    private let signals: [any DispatchSourceSignal]

    private static let enterSequence = "\u{1B}[?1049h\u{1B}[?25l\u{1B}[H\u{1B}[2J"
    private static let leaveSequence = "\u{1B}[?25h\u{1B}[?1049l"

    private init(saved: termios, signals: [any DispatchSourceSignal]) {
        self.saved = saved; self.signals = signals
    }

    static func enter() throws -> RawTerminal {
        var saved = termios()
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else {
            throw ValidationError("cannot read the terminal's settings: \(String(cString: strerror(errno)))")
        }
        var raw = saved
        // ISIG stays: Ctrl-C is a SIGINT, handled below like any other SIGINT.
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0 else {
            throw ValidationError("cannot set the terminal's mode: \(String(cString: strerror(errno)))")
        }
        let restore = saved
        // SIGQUIT too: ISIG stays on, so Ctrl-\ is a key away (it would otherwise leave the terminal raw).
        let signals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                Self.restore(restore)
                exit(128 + number)
            }
            source.resume()
            return source
        }
        writeAll(enterSequence)
        return RawTerminal(saved: saved, signals: signals)
    }

    /// Puts the terminal back as `enter()` found it.
    func leave() {
        for source in signals { source.cancel() }
        Self.restore(saved)
    }

    private static func restore(_ settings: termios) {
        var settings = settings
        writeAll(leaveSequence)
        _ = tcsetattr(STDIN_FILENO, TCSANOW, &settings)
    }

    /// Draws `lines` from the top-left corner, clearing what the last frame left.
    func draw(_ lines: [String]) {
        Self.writeAll("\u{1B}[H" + lines.joined(separator: "\u{1B}[K\r\n") + "\u{1B}[K\u{1B}[J")
    }

    /// `true` when q or Q is waiting on stdin (other keys are read and ignored).
    func quitRequested() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(STDIN_FILENO, &buffer, buffer.count)
        return count > 0 && buffer[..<count].contains { $0 == UInt8(ascii: "q") || $0 == UInt8(ascii: "Q") }
    }

    /// Columns and rows of the terminal (80×24 when it cannot tell).
    static func size() -> (width: Int, height: Int) {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return (80, 24) }
        return (Int(size.ws_col), Int(size.ws_row))
    }

    private static func writeAll(_ text: String) { Terminal.output(Array(text.utf8)) }
}
