/// One problem found in a config file, located by file, line and dotted key path.
///
/// `warden check`, SIGHUP reloads and the control API print diagnostics one per line through
/// `description`: `FILE:LINE: KEY: MESSAGE`, the shape compilers use so editors can jump to the line.
public struct Diagnostic: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The config file as the caller named it (not made absolute), e.g. `etc/warden.toml`.
    public var file: String
    /// 1-based line of the offending key (or of the table that lacks a required key); `nil` when the
    /// problem has no place in the text (an unreadable file).
    public var line: Int?
    /// Dotted TOML path of the offending key, e.g. `programs.api.leak.rss_max`; components that are
    /// not bare keys are quoted (`programs."my app".command`). `nil` for syntax and file errors.
    public var key: String?
    /// What is wrong and, where possible, how to fix it. Does not repeat the key.
    public var message: String

    public init(file: String, line: Int?, key: String?, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    /// `FILE:LINE: KEY: MESSAGE`; the `:LINE` and `KEY: ` parts are left out when unknown.
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += "\(key): " }
        return text + message
    }
}
