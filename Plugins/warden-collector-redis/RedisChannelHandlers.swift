import NIOCore

/// Frames RESP2 replies out of the inbound byte stream (`RESPParser`); a malformed reply is an error that
/// closes the connection.
struct RESPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPValue
    let parser = RESPParser()

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let parsed = try buffer.withUnsafeReadableBytes { try parser.parse($0) }
        guard let parsed else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: parsed.consumed)
        context.fireChannelRead(wrapInboundOut(parsed.value))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// One command on its way out: its encoded bytes and the promise its reply completes.
struct RedisRequest: Sendable {
    let bytes: [UInt8]
    let reply: EventLoopPromise<RESPValue>
}

/// Errors of the Redis connection. Texts never contain credentials.
enum RedisConnectionError: Error, Equatable, CustomStringConvertible {
    case closed
    case timedOut(seconds: Double)
    case unexpectedReply(command: String)

    var description: String {
        switch self {
        case .closed: "connection to Redis closed"
        case .timedOut(let seconds): "Redis did not answer within \(seconds) s"
        case .unexpectedReply(let command): "unexpected reply to \(command)"
        }
    }
}

/// Pairs replies with requests in order (Redis answers commands on one connection in order).
/// Lives on the channel's event loop only; any error or close fails every pending request and closes.
final class RedisRequestHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private var pending = CircularBuffer<EventLoopPromise<RESPValue>>()
    private var failure: (any Error)?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
            request.reply.fail(failure)
            promise?.fail(failure)
            return
        }
        pending.append(request.reply)
        context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: request.bytes)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        guard let promise = pending.popFirst() else {
            failAll(RESPProtocolError(reason: "reply without a request"), context: context)
            return
        }
        promise.succeed(value)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(failure ?? RedisConnectionError.closed, context: context)
        context.fireChannelInactive()
    }

    private func failAll(_ error: any Error, context: ChannelHandlerContext) {
        if failure == nil { failure = error }
        while let promise = pending.popFirst() { promise.fail(error) }
        context.close(promise: nil)
    }
}
