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

    public init(maxConnections: Int = 128, idleTimeout: Duration = .seconds(30)) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
    }
}

/// The connections of one listener: how many are open, and how many were refused for the cap.
final class ConnectionCounter: Sendable {
    let open = Atomic<Int>(0)
    let refused = Atomic<Int>(0)
}

/// The first handler after the HTTP codec on each control connection.
///
/// - Refuses a connection beyond `maxConnections` (closes it at once): idle clients cannot pile up fds
///   and memory without bound (2,000 idle connections had raised Warden's RSS for good).
/// - Closes a connection whose request has not fully arrived `idleTimeout` after the connection opened
///   or the request's head came: slow headers and slow bodies (Slowloris) are cut off. The wait for a
///   *next* request on a kept-alive connection is Hummingbird's idle timeout, set to the same value.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let counter: ConnectionCounter
    private let limits: APILimits
    private var counted = false
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
        armDeadline(context)   // the first request's head and body
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        if counted { counter.open.subtract(1, ordering: .relaxed) }
        counted = false
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
