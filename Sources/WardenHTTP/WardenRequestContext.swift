public import Hummingbird
public import NIOCore

/// The request context of Warden's HTTP routers: Hummingbird's core context plus the peer's address (an
/// IP and port on the TCP listener, a path on the unix socket), which the dashboard's login throttle keys on.
public struct WardenRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection's remote end; `nil` when the channel no longer knows it.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address without the port (`127.0.0.1`, `::1`), or `unix` / `unknown`.
    public var clientAddress: String {
        guard let remoteAddress else { return "unknown" }
        return remoteAddress.ipAddress ?? "unix"
    }
}
