import NIOCore
import NIOHTTPTypes
import Synchronization

/// Limits on the control API's connections (`[supervisor] api_max_connections`, `api_idle_timeout`).
public struct APILimits: Sendable, Equatable {
    /// Connections open at once on one listener; more are closed as soon as they are accepted. Default 128.
    public var maxConnections: Int
    /// How long a connection may sit idle between requests, and how long one request (its head and its
    /// body) may take to arrive; then the connection is closed. Default 30 s.
    public var idleTimeout: Duration

    /// Connections open at once from one IP address (TCP listener only: a unix socket's clients are the
    /// owner's). One client cannot take every slot; default an eighth of `maxConnections` (16 of 128).
    public var maxConnectionsPerClient: Int

    public init(maxConnections: Int = 128, idleTimeout: Duration = .seconds(30), maxConnectionsPerClient: Int? = nil) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.maxConnectionsPerClient = maxConnectionsPerClient ?? max(1, maxConnections / 8)
    }
}

/// The connections of one listener: how many are open, and how many were refused for the cap.
final class ConnectionCounter: Sendable {
    let open = Atomic<Int>(0)
    let refused = Atomic<Int>(0)
    /// Open connections by client IP address (TCP only).
    let byClient = Mutex<[String: Int]>([:])

    /// Counts a connection from `address`; `false` (and nothing counted) when it already has `limit`.
    func admit(_ address: String, limit: Int) -> Bool {
        byClient.withLock { counts in
            let count = counts[address, default: 0]
            guard count < limit else { return false }
            counts[address] = count + 1
            return true
        }
    }

    func release(_ address: String) {
        byClient.withLock { counts in
            let count = (counts[address] ?? 1) - 1
            counts[address] = count > 0 ? count : nil
        }
    }
}

/// The first handler after the HTTP codec on each control connection.
///
/// - Refuses a connection beyond `maxConnections` (closes it at once): idle clients cannot pile up fds
///   and memory without bound (2,000 idle connections had raised Warden's RSS for good). On TCP, also one
///   beyond `maxConnectionsPerClient` from the same address: 140 half-sent logins from one client without
///   a token had held every slot, locking Prometheus and the dashboard out.
/// - Closes a connection whose request has not fully arrived `idleTimeout` after the connection opened
///   or the request's head came: slow headers and slow bodies (Slowloris) are cut off. The wait for a
///   *next* request on a kept-alive connection is Hummingbird's idle timeout, set to the same value.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let counter: ConnectionCounter
    private let limits: APILimits
    private var counted = false
    /// The client address counted in `counter.byClient`, released with the connection.
    private var client: String?
    private var deadline: Scheduled<Void>?

    init(counter: ConnectionCounter, limits: APILimits) {
        self.counter = counter
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        counted = true
        if counter.open.add(1, ordering: .relaxed).newValue > limits.maxConnections {
            counter.refused.add(1, ordering: .relaxed)
            context.close(promise: nil)
            return
        }
        if let address = context.channel.remoteAddress?.ipAddress {
            guard counter.admit(address, limit: limits.maxConnectionsPerClient) else {
                counter.refused.add(1, ordering: .relaxed)
                context.close(promise: nil)
                return
            }
            client = address
        }
        armDeadline(context)   // the first request's head and body
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        if counted { counter.open.subtract(1, ordering: .relaxed) }
        counted = false
        if let client { counter.release(client) }
        client = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: armDeadline(context)
        case .body: break
        case .end:
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    private func armDeadline(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let (seconds, attoseconds) = limits.idleTimeout.components
        let timeout = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            loopBound.value.close(promise: nil)
        }
    }
}
