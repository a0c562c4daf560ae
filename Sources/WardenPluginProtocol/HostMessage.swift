/// A message from Warden to a plugin (one line on the plugin's stdin).
///
/// JSON shapes (snake_case keys):
/// - `{"type":"hello","protocol_version":1,"collector":"postgres","interval_seconds":10,"timeout_seconds":5,
///    "long_running_seconds":300,"config":{...}}`
/// - `{"type":"collect","seq":7,"workers":[{"name":"api:0","program":"api","pid":120,"tree_pids":[120,131]}]}`
/// - `{"type":"shutdown"}` — finish and exit 0; closing stdin means the same.
public enum HostMessage: Codable, Sendable, Equatable {
    case hello(Hello)
    case collect(Collect)
    case shutdown

    /// The first message Warden sends after starting a plugin.
    public struct Hello: Codable, Sendable, Equatable {
        /// Protocol version Warden speaks (`PluginProtocol.version`).
        public var protocolVersion: Int
        /// The collector's name in the config (`[collectors.NAME]`).
        public var collector: String
        /// Seconds between two `collect` messages.
        public var intervalSeconds: Double
        /// Seconds Warden waits for the answer to a `collect`.
        public var timeoutSeconds: Double
        /// A connection in a transaction or query for longer than this many seconds is "long running".
        public var longRunningSeconds: Double
        /// The `config` table of the collector's TOML section, as given (strings, numbers, booleans,
        /// arrays, tables). It may hold credentials: a plugin must never echo it.
        public var config: JSONValue

        public init(
            protocolVersion: Int = PluginProtocol.version, collector: String, intervalSeconds: Double,
            timeoutSeconds: Double, longRunningSeconds: Double, config: JSONValue
        ) {
            self.protocolVersion = protocolVersion; self.collector = collector
            self.intervalSeconds = intervalSeconds; self.timeoutSeconds = timeoutSeconds
            self.longRunningSeconds = longRunningSeconds; self.config = config
        }

        enum CodingKeys: String, CodingKey {
            case collector, config
            case protocolVersion = "protocol_version", intervalSeconds = "interval_seconds"
            case timeoutSeconds = "timeout_seconds", longRunningSeconds = "long_running_seconds"
        }
    }

    /// A request for one round of samples.
    public struct Collect: Codable, Sendable, Equatable {
        /// Sequence number, increasing by one per `collect`; the answer must carry the same number.
        public var seq: UInt64
        /// The supervised workers that have a live process, with the pids of their trees.
        public var workers: [WorkerTree]

        public init(seq: UInt64, workers: [WorkerTree]) { self.seq = seq; self.workers = workers }
    }

    private enum TypeKey: String, CodingKey { case type }
    private enum Kind: String, Codable { case hello, collect, shutdown }

    public init(from decoder: any Decoder) throws {
        let tag = try decoder.container(keyedBy: TypeKey.self).decode(Kind.self, forKey: .type)
        switch tag {
        case .hello: self = .hello(try Hello(from: decoder))
        case .collect: self = .collect(try Collect(from: decoder))
        case .shutdown: self = .shutdown
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var tag = encoder.container(keyedBy: TypeKey.self)
        switch self {
        case .hello(let hello): try tag.encode(Kind.hello, forKey: .type); try hello.encode(to: encoder)
        case .collect(let collect): try tag.encode(Kind.collect, forKey: .type); try collect.encode(to: encoder)
        case .shutdown: try tag.encode(Kind.shutdown, forKey: .type)
        }
    }
}

/// A supervised worker as a plugin sees it: the name connections are attributed to, and its processes.
public struct WorkerTree: Codable, Sendable, Equatable {
    /// Instance name (`api:0`), the key of `by_worker`.
    public var name: String
    /// Program name (`api`).
    public var program: String
    /// Main pid.
    public var pid: Int32
    /// Pids of the whole tree, main pid included; a connection held by any of them is the worker's.
    public var treePIDs: [Int32]

    public init(name: String, program: String, pid: Int32, treePIDs: [Int32]) {
        self.name = name; self.program = program; self.pid = pid; self.treePIDs = treePIDs
    }

    enum CodingKeys: String, CodingKey {
        case name, program, pid
        case treePIDs = "tree_pids"
    }
}
