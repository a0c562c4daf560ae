import Glibc

/// The width output may use: standard output's terminal size (TIOCGWINSZ), else `$COLUMNS`, else `nil` (no
/// limit: a pipe or a file gets whole lines).
enum TerminalWidth {
    static func columns() -> Int? {
        if isatty(STDOUT_FILENO) == 1 {
            var size = winsize()
            if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        }
        if let text = getenv("COLUMNS").map({ String(cString: $0) }), let columns = Int(text), columns > 0 {
            return columns
        }
        return nil
    }
}
