/// The `[history]` table: the embedded SQLite history of samples, pools, alerts and events.
public struct HistorySettings: Sendable, Equatable {
    /// Whether Warden keeps a history (`enabled`). Default true.
    public var enabled: Bool
    /// The database file (`path`), absolute; default `STATE_DIR/history.sqlite`.
    public var path: String
    /// How long data is kept (`retention`), at least 1 h. Default 7 days.
    public var retention: Duration
    /// Bound of the database's size (`max_bytes`); above it the oldest data goes. Default 1 GB.
    public var maxBytes: UInt64

    public static let defaultRetention: Duration = .seconds(7 * 86_400)
    public static let defaultMaxBytes: UInt64 = 1_000_000_000
    /// The file name in the state directory when `path` is not given.
    public static let defaultFileName = "history.sqlite"

    public init(enabled: Bool = true, path: String, retention: Duration = defaultRetention,
                maxBytes: UInt64 = defaultMaxBytes) {
        self.enabled = enabled; self.path = path; self.retention = retention; self.maxBytes = maxBytes
    }
}
