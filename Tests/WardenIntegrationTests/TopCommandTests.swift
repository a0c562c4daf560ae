import Foundation
import Testing
import WardenTestSupport

/// `warden top` in a real terminal: tmux runs a shell, the test types into it (send-keys) and reads the
/// screen (capture-pane), against a real Warden with a leaking worker.
@Suite("warden top in tmux", .serialized)
struct TopCommandTests {
    /// A tmux server of the test's own (its own socket), one 140×30 pane running a plain bash (NO_COLOR unset:
    /// the test runner may set it).
    ///
    /// tmux is run through `system(3)`, not Foundation's `Process`: the tmux client that starts the server
    /// was left a zombie under `Process` (its exit never reported), so the harness waited forever.
    final class Tmux {
        let socket: String
        let output: String
        init(directory: URL) throws {
            socket = directory.appendingPathComponent("tmux.sock").path
            output = directory.appendingPathComponent("tmux.out").path
            try run(["new-session", "-d", "-s", "top", "-x", "140", "-y", "30",
                "env -u NO_COLOR bash --norc --noprofile"])
        }
        /// Runs `tmux -S SOCKET arguments…` and returns what it printed.
        @discardableResult
        func run(_ arguments: [String]) throws -> String {
            let quoted = (["/usr/bin/tmux", "-S", socket] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: #"'\''"#) + "'" }
            let status = system(quoted.joined(separator: " ") + " </dev/null >'\(output)' 2>&1")
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            guard status == 0 else { throw HarnessError("tmux \(arguments) exited \(status): \(text)") }
            return text
        }
        func type(_ keys: String...) throws { try run(["send-keys", "-t", "top"] + keys) }
        /// The visible screen; with `escapes`, colour codes included.
        func screen(escapes: Bool = false) throws -> String {
            try run(["capture-pane", "-t", "top", "-p"] + (escapes ? ["-e"] : []))
        }
        deinit { _ = try? run(["kill-server"]) }
    }

    @Test("top shows the leaker first in colour, refreshes, and q or Ctrl-C restore the terminal")
    func liveView() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"
            sample_interval = "100ms"

            [programs.leaky]
            command = ["WORKLOAD", "leak", "--mb-per-min", "600", "--max-mb", "256"]
            [programs.leaky.leak]
            window = "3s"
            on_critical = "alert"

            [programs.idle]
            command = ["sleep", "1000"]
            numprocs = 2
            """)
        let tmux = try Tmux(directory: warden.directory)
        try tmux.type("\(wardenPath) top -c \(warden.configPath) --interval 0.3; echo top-exit=$?", "Enter")
        try waitFor("leaky graded critical, first row, in colour", timeout: 30) {
            let lines = try tmux.screen().split(separator: "\n")
            guard let header = lines.firstIndex(where: { $0.hasPrefix("NAME") }), lines.count > header + 3 else { return false }
            return lines[header + 1].hasPrefix("leaky ") && lines[header + 1].contains("critical +")
                && lines[header + 2].hasPrefix("idle:") && lines[header + 3].hasPrefix("idle:")
        }
        let screen = try tmux.screen()
        #expect(screen.contains("3 processes, 3 running"), "\(screen)")
        // Red (SGR 31) right before the word, however tmux re-encodes the codes.
        let coloured = try tmux.screen(escapes: true)
        #expect(coloured.contains(#/(\x1B\[[0-9;]*m)*\x1B\[[0-9;]*31m(\x1B\[[0-9;]*m)*critical/#), "\(coloured)")
        // It refreshes: the clock in the header moves.
        let clock = try #require(screen.firstMatch(of: #/warden top  (\d\d:\d\d:\d\d)/#)?.1)
        try waitFor("the next frames", timeout: 5) { try !tmux.screen().contains("warden top  \(clock)") }

        try tmux.type("q")
        try waitFor("top to quit", timeout: 5) { try tmux.screen().contains("top-exit=0") }
        try expectTerminalRestored(tmux)

        try tmux.type("clear; \(wardenPath) top -c \(warden.configPath); echo top-exit=$?", "Enter")
        try waitFor("top again", timeout: 10) { try tmux.screen().contains("(q quits)") }
        try tmux.type("C-c")
        try waitFor("top to end on SIGINT", timeout: 5) { try tmux.screen().contains("top-exit=130") }
        try expectTerminalRestored(tmux)

        // Ctrl-\ (SIGQUIT) too: the terminal comes back, exit 131.
        try tmux.type("clear; \(wardenPath) top -c \(warden.configPath); echo top-exit=$?", "Enter")
        try waitFor("top again", timeout: 10) { try tmux.screen().contains("(q quits)") }
        try tmux.type("C-\\")
        try waitFor("top to end on SIGQUIT", timeout: 10) { try tmux.screen().contains("top-exit=131") }
        try expectTerminalRestored(tmux)

        // Not a terminal: one plain frame.
        let once = try warden.cli(["top", "--once"])
        #expect(once.status == 0 && once.stdout.hasPrefix("warden top  ") && !once.stdout.contains("\u{1B}["), "\(once)")
        #expect(try warden.terminate() == 0)
    }

    /// Line editing and echo are back (icanon, echo, min = 1), and the alternate screen is gone.
    func expectTerminalRestored(_ tmux: Tmux) throws {
        try tmux.type("clear; stty -a | tr ';' '\\n' | grep -E -- '^ *min = |(^| )-?icanon|(^| )-?echo( |$)'", "Enter")
        // The typed command line holds "min = " too: wait for stty's own line, a digit after it.
        try waitFor("stty's answer", timeout: 5) { try tmux.screen().contains(#/min = \d/#) }
        let settings = try tmux.screen()
        #expect(settings.contains("min = 1"), "\(settings)")
        #expect(!settings.contains("-icanon") && !settings.contains("-echo "), "\(settings)")
        #expect(!settings.contains("(q quits)"), "the alternate screen is left")
    }
}
