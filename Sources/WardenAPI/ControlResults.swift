/// Body of a successful `POST /v1/reload`: `{"changes": ["added program worker", ...]}`.
///
/// `changes` holds one human line per applied difference, empty when the file did not change. An
/// invalid file is not a `ReloadResult` but a 422 `APIErrorBody` whose message holds the diagnostics,
/// one `FILE:LINE: message` per line.
public struct ReloadResult: Codable, Sendable, Equatable {
    /// What the reload changed, one human line each.
    public var changes: [String]
    public init(changes: [String]) { self.changes = changes }
}

/// Body of `GET /v1/health`: `{"status": "ok"}` while the control API answers.
public struct HealthStatus: Codable, Sendable, Equatable {
    /// Always `"ok"` in a 200 answer.
    public var status: String
    public init(status: String) { self.status = status }
}

/// Where the control socket lives: `STATE_DIR/warden.sock`.
///
/// The supervisor creates `STATE_DIR` with mode 0700 and the server makes the socket 0600, so only the
/// owner of the Warden process can drive it (unix socket paths are limited to 107 bytes).
public enum ControlSocket {
    /// File name of the control socket inside the state directory.
    public static let fileName = "warden.sock"
    /// State directory used by client commands when no config file is given, relative to the current
    /// directory.
    public static let defaultStateDirectory = "./.warden"

    /// The control socket path inside `stateDirectory` (a trailing `/` is tolerated).
    public static func path(inStateDirectory stateDirectory: String) -> String {
        stateDirectory.hasSuffix("/") ? stateDirectory + fileName : stateDirectory + "/" + fileName
    }
}
