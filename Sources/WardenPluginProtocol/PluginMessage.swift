/// A message from a plugin to Warden (one line on the plugin's stdout).
///
/// JSON shapes (snake_case keys):
/// - `{"type":"hello","name":"warden-collector-redis","version":"1.0.0","protocol_version":1,
///    "capabilities":["pools"]}` — the answer to Warden's `hello`, sent once.
/// - `{"type":"samples","seq":7,"pools":[PoolSample...]}` — the answer to `collect` number 7.
/// - `{"type":"error","seq":7,"message":"connection refused"}` — `collect` number 7 failed; `seq` is
///   null for an error outside a round (bad config in `hello`). Messages never contain credentials.
public enum PluginMessage: Codable, Sendable, Equatable {
    case hello(Hello)
    case samples(Samples)
    case error(Failure)

    /// The plugin's self-description.
    public struct Hello: Codable, Sendable, Equatable {
        /// Executable name, e.g. `warden-collector-postgres`.
        public var name: String
        /// The plugin's own version.
        public var version: String
        /// Protocol version the plugin speaks; Warden refuses any other than its own.
        public var protocolVersion: Int
        /// What it produces; version 1 defines `"pools"`.
        public var capabilities: [String]

        public init(name: String, version: String, protocolVersion: Int = PluginProtocol.version, capabilities: [String]) {
            self.name = name; self.version = version; self.protocolVersion = protocolVersion
            self.capabilities = capabilities
        }

        enum CodingKeys: String, CodingKey {
            case name, version, capabilities
            case protocolVersion = "protocol_version"
        }
    }

    /// The answer to one `collect`.
    public struct Samples: Codable, Sendable, Equatable {
        public var seq: UInt64
        public var pools: [PoolSample]
        public init(seq: UInt64, pools: [PoolSample]) { self.seq = seq; self.pools = pools }
    }

    /// A failed round or a fatal setup problem.
    public struct Failure: Codable, Sendable, Equatable {
        public var seq: UInt64?
        /// Human text, without credentials.
        public var message: String
        public init(seq: UInt64?, message: String) { self.seq = seq; self.message = message }

        enum CodingKeys: String, CodingKey { case seq, message }

        /// Writes `"seq":null` explicitly (the documented shape) instead of omitting the key.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(seq, forKey: .seq)
            try container.encode(message, forKey: .message)
        }
    }

    private enum TypeKey: String, CodingKey { case type }
    private enum Kind: String, Codable { case hello, samples, error }

    public init(from decoder: any Decoder) throws {
        let tag = try decoder.container(keyedBy: TypeKey.self).decode(Kind.self, forKey: .type)
        switch tag {
        case .hello: self = .hello(try Hello(from: decoder))
        case .samples: self = .samples(try Samples(from: decoder))
        case .error: self = .error(try Failure(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var tag = encoder.container(keyedBy: TypeKey.self)
        switch self {
        case .hello(let hello): try tag.encode(Kind.hello, forKey: .type); try hello.encode(to: encoder)
        case .samples(let samples): try tag.encode(Kind.samples, forKey: .type); try samples.encode(to: encoder)
        case .error(let failure): try tag.encode(Kind.error, forKey: .type); try failure.encode(to: encoder)
        }
    }
}
