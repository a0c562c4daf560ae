/// The `[http]` table: an authenticated TCP listener serving the control API and `/metrics` (the unix
/// socket stays as it is). Absent table: no TCP listener.
public struct HTTPSettings: Sendable, Equatable {
    /// IP address to bind (`127.0.0.1`, `::1`, `0.0.0.0`), from `listen`.
    public var host: String
    /// TCP port, 1–65535, from `listen`.
    public var port: Int
    /// Absolute path of `token_file`.
    public var tokenFile: String
    /// The bearer token every request must present, read from `token_file` at load.
    public var token: Secret

    public init(host: String, port: Int, tokenFile: String, token: Secret) {
        self.host = host; self.port = port; self.tokenFile = tokenFile; self.token = token
    }

    /// `HOST:PORT`, IPv6 hosts in brackets, as `listen` is written.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A secret read from a file: its bytes, never printed (`description` and `debugDescription` hide them).
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var description: String { "<secret, \(bytes.count) bytes>" }
    public var debugDescription: String { description }
}
