import NIOCore
import NIOPosix

/// One RESP2 connection to a Redis server on SwiftNIO (NIOCore/NIOPosix), used by one collector.
///
/// Commands are pipelined in order; each has a deadline after which the connection is failed and closed
/// (a reply that arrives later can no longer be matched reliably). After any error the connection is dead:
/// the collector drops it and connects again next round.
final class RedisConnection: Sendable {
    private let channel: any Channel

    /// Local endpoint of this connection (the `addr` Redis shows for it in CLIENT LIST).
    var localAddress: SocketAddress? { channel.localAddress }

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Connects to `host:port` within `timeout`.
    static func connect(host: String, port: Int, timeout: TimeAmount) async throws -> RedisConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPReplyDecoder()))
                    try channel.pipeline.syncOperations.addHandler(RedisRequestHandler())
                }
            }
            .connect(host: host, port: port)
            .get()
        return RedisConnection(channel: channel)
    }

    /// Whether the channel is still open.
    var isActive: Bool { channel.isActive }

    /// Sends one command and waits for its reply (an `.error` reply is returned, not thrown).
    /// - Throws: `RedisConnectionError.timedOut` after `timeout`, `.closed`, `RESPProtocolError`, I/O errors.
    func send(_ arguments: [String], timeout: TimeAmount) async throws -> RESPValue {
        let eventLoop = channel.eventLoop
        let reply = eventLoop.makePromise(of: RESPValue.self)
        let seconds = Double(timeout.nanoseconds) / 1e9
        // A promise completed twice keeps its first result (NIO ignores later completions), so the deadline,
        // a failed write and the request handler may all race to complete `reply` safely.
        let deadline = eventLoop.scheduleTask(in: timeout) { [channel] in
            reply.fail(RedisConnectionError.timedOut(seconds: seconds))
            channel.pipeline.fireErrorCaught(RedisConnectionError.timedOut(seconds: seconds))
            channel.close(promise: nil)
        }
        reply.futureResult.whenComplete { _ in deadline.cancel() }
        let written = eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { reply.fail($0) }
        channel.writeAndFlush(RedisRequest(bytes: RESPCommand.encode(arguments), reply: reply), promise: written)
        return try await reply.futureResult.get()
    }

    /// Closes the connection; errors while closing are ignored.
    func close() async {
        try? await channel.close().get()
    }
}
