/// Every problem found while loading a config file; thrown by `ConfigLoader`.
///
/// The loader collects problems instead of stopping at the first one, so one run of `warden check` shows
/// them all. `diagnostics` is never empty and is sorted by line (problems without a line first), in
/// the order they were found within a line.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The problems, at least one.
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    /// One `FILE:LINE: KEY: MESSAGE` line per diagnostic, joined by newlines.
    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
