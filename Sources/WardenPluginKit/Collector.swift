public import WardenPluginProtocol

/// A collector plugin written in Swift: one type, configured by Warden's `hello`, asked to `collect`.
///
/// `PluginRunner.run(MyCollector.self)` drives the JSON-lines protocol (docs/plugin-protocol.md) on
/// stdin/stdout and calls these methods; the type never touches the channel itself.
public protocol Collector: Sendable {
    /// Executable name sent in the plugin's `hello`, e.g. `warden-collector-redis`.
    static var name: String { get }
    /// The plugin's own version.
    static var version: String { get }
    /// Configures the collector from Warden's `hello`.
    /// - Throws: any error; its description (which must not contain credentials) is reported to Warden
    ///   as an `error` message and the plugin exits with status 1.
    init(hello: HostMessage.Hello) async throws
    /// Measures every pool once. `request.workers` are the trees to attribute connections to.
    /// - Throws: any error; reported as an `error` message for this `seq`; the plugin keeps running.
    func collect(_ request: HostMessage.Collect) async throws -> [PoolSample]
    /// Releases connections before the plugin exits.
    func shutdown() async
}
