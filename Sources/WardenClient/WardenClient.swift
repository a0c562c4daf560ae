public import WardenAPI
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A client of Warden's control API: HTTP/1.1 + JSON over the unix socket `STATE_DIR/warden.sock`.
///
/// Each call opens one connection, sends one request and reads the whole answer. Actions
/// (`start`/`stop`/`restart`) wait as long as the supervisor needs (a stop can take the program's
/// `stop_timeout`), so they have no timeout by default; queries time out after `queryTimeout`.
///
/// ```swift
/// let client = WardenClient(socketPath: ".warden/warden.sock")
/// for process in try await client.status() { print(process.name, process.state) }
/// ```
public struct WardenClient: Sendable {
    /// The control socket this client talks to.
    public var socketPath: String
    /// Timeout of `status`, `health`, `reload` and `shutdown`.
    public var queryTimeout: Duration = .seconds(10)
    /// Timeout of `start`, `stop` and `restart`; `nil` waits as long as the supervisor takes.
    public var actionTimeout: Duration? = nil

    /// A client of the Warden listening on `socketPath`; nothing is connected until the first call.
    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// Status of the named processes, or of every process when `names` is empty, sorted by name.
    /// - Throws: `WardenClientError`; `.api(status: 404, …)` for an unknown name.
    public func status(names: [String] = []) async throws(WardenClientError) -> [ProcessStatus] {
        let query = names.map { "name=" + Self.percentEncode($0) }.joined(separator: "&")
        let path = query.isEmpty ? APIRoute.processes : APIRoute.processes + "?" + query
        let list: ProcessList = try await request(.GET, path, timeout: queryTimeout)
        return list.processes
    }

    /// Starts the named processes and returns their states once each left STARTING.
    /// - Parameter names: instance names, program names, `PROGRAM:*` or `all`; at least one.
    /// - Throws: `WardenClientError`; `.api(status: 404, …)` unknown name, `.api(status: 409, …)` failed.
    public func start(names: [String]) async throws(WardenClientError) -> [ProcessStatus] {
        try await action(APIRoute.start, names)
    }

    /// Stops the named processes and returns once their whole trees are gone.
    /// - Throws: `WardenClientError`; `.api(status: 404, …)` for an unknown name.
    public func stop(names: [String]) async throws(WardenClientError) -> [ProcessStatus] {
        try await action(APIRoute.stop, names)
    }

    /// Restarts the named processes (reason `manual`) and returns their new states.
    /// - Throws: `WardenClientError`; `.api(status: 404, …)` unknown name, `.api(status: 409, …)` failed.
    public func restart(names: [String]) async throws(WardenClientError) -> [ProcessStatus] {
        try await action(APIRoute.restart, names)
    }

    /// Sends `signal` (a name such as `USR1`, or a number) to the named processes' main processes, or to
    /// their process groups when `group`.
    /// - Throws: `WardenClientError`; `.api(status: 404, …)` unknown name, 400 unknown signal, 409 a named
    ///   process has no process.
    public func signal(names: [String], signal: String, group: Bool) async throws(WardenClientError) -> [ProcessStatus] {
        let body = try Self.encode(ProcessSignalRequest(names: names, signal: signal, group: group))
        let result: ProcessActionResult = try await request(.POST, APIRoute.signal, body: body, timeout: queryTimeout)
        return result.processes
    }

    /// Asks Warden to re-read its config file, as SIGHUP does.
    /// - Returns: one human line per applied change; empty when nothing changed.
    /// - Throws: `WardenClientError`; `.api(status: 422, …)` with one diagnostic per message line when the
    ///   file is invalid (nothing was applied).
    public func reload() async throws(WardenClientError) -> [String] {
        let result: ReloadResult = try await request(.POST, APIRoute.reload, body: [], timeout: queryTimeout)
        return result.changes
    }

    /// Asks Warden to shut down gracefully; returns once the request is accepted, before Warden exits.
    /// Use `waitUntilGone(processID:timeout:)` to wait for the exit.
    /// - Throws: `WardenClientError`.
    public func shutdown() async throws(WardenClientError) {
        let _: EmptyAnswer = try await request(.POST, APIRoute.shutdown, body: [], timeout: queryTimeout)
    }

    /// `GET /v1/health`: succeeds while the control API answers.
    /// - Throws: `WardenClientError`.
    public func health() async throws(WardenClientError) -> HealthStatus {
        try await request(.GET, APIRoute.health, timeout: queryTimeout)
    }

    /// `GET /v1/pools`: every collector's latest pool samples.
    /// - Throws: `WardenClientError`.
    public func pools() async throws(WardenClientError) -> PoolList {
        try await request(.GET, APIRoute.pools, timeout: queryTimeout)
    }

    /// `GET /v1/alerts`: open and recently resolved pool alerts; with `hours`, the open ones and those
    /// resolved in the last `hours` (from the history).
    /// - Throws: `WardenClientError`.
    public func alerts(hours: Double? = nil) async throws(WardenClientError) -> AlertList {
        try await request(.GET, APIRoute.alerts + (hours.map { "?hours=\($0)" } ?? ""), timeout: queryTimeout)
    }

    /// `GET /v1/processes/NAME/history?hours=H`: one instance's history.
    /// - Throws: `WardenClientError` (404 for an unknown process, 400 for a bad range).
    public func processHistory(_ name: String, hours: Double) async throws(WardenClientError) -> ProcessHistory {
        try await request(.GET, "/v1/processes/\(Self.percentEncode(name))/history?hours=\(hours)", timeout: queryTimeout)
    }

    /// `GET /v1/events?hours=H[&process=NAME][&kind=K]`: recorded events, oldest first.
    /// - Throws: `WardenClientError`.
    public func events(hours: Double, process: String? = nil, kind: String? = nil) async throws(WardenClientError) -> EventList {
        try await events(range: "hours=\(hours)", process: process, kind: kind)
    }

    /// `GET /v1/events?since=TIME[&process=NAME][&kind=K]`: events recorded at or after `since` (RFC 3339).
    /// - Throws: `WardenClientError`.
    public func events(since: String, process: String? = nil, kind: String? = nil) async throws(WardenClientError) -> EventList {
        try await events(range: "since=" + Self.percentEncode(since), process: process, kind: kind)
    }

    private func events(range: String, process: String?, kind: String?) async throws(WardenClientError) -> EventList {
        var path = APIRoute.events + "?" + range
        if let process { path += "&process=" + Self.percentEncode(process) }
        if let kind { path += "&kind=" + Self.percentEncode(kind) }
        return try await request(.GET, path, timeout: queryTimeout)
    }

    // MARK: - Plumbing

    private struct EmptyAnswer: Decodable {}

    private func action(_ path: String, _ names: [String]) async throws(WardenClientError) -> [ProcessStatus] {
        let body = try Self.encode(ProcessActionRequest(names: names))
        let result: ProcessActionResult = try await request(.POST, path, body: body, timeout: actionTimeout)
        return result.processes
    }

    private static func encode(_ value: some Encodable) throws(WardenClientError) -> [UInt8] {
        do { return Array(try JSONEncoder().encode(value)) } catch {
            throw .malformedResponse("cannot encode the request: \(error)")
        }
    }

    /// Sends one request and decodes a 2xx answer as `Answer`, any other status as `APIErrorBody`.
    private func request<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, timeout: Duration?
    ) async throws(WardenClientError) -> Answer {
        let exchange = try await HTTPExchange.perform(
            socketPath: socketPath, method: method, path: path, body: body, timeout: timeout)
        let decoder = JSONDecoder()
        if (200..<300).contains(exchange.status) {
            do {
                return try decoder.decode(Answer.self, from: Data(exchange.body))
            } catch {
                throw .malformedResponse("HTTP \(exchange.status) answer to \(method) \(path) is not the expected JSON: \(error)")
            }
        }
        if let error = try? decoder.decode(APIErrorBody.self, from: Data(exchange.body)) {
            throw .api(status: exchange.status, error: error)
        }
        let text = String(String(decoding: exchange.body.prefix(200), as: UTF8.self)
            .filter { !$0.isNewline })
        throw .api(
            status: exchange.status,
            error: APIErrorBody(field: nil, message: text.isEmpty ? "HTTP \(exchange.status)" : "HTTP \(exchange.status): \(text)"))
    }

    /// Percent-encodes a name for a query string (RFC 3986 unreserved characters and `:`/`*` pass).
    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"), UInt8(ascii: ":"), UInt8(ascii: "*"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }
}

/// One HTTP/1.1 request/answer over a fresh unix socket connection (`Connection: close`).
enum HTTPExchange {
    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]
    }

    static func perform(
        socketPath: String, method: HTTPMethod, path: String, body: [UInt8]?, timeout: Duration?
    ) async throws(WardenClientError) -> Answer {
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5))
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                            wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw .cannotConnect(socketPath: socketPath, reason: describeConnectError(error))
        }

        do {
            return try await withThrowingTaskGroup(of: Answer?.self) { group in
                group.addTask {
                    try await exchange(on: channel, method: method, path: path, body: body)
                }
                if let timeout {
                    group.addTask {
                        try await Task.sleep(for: timeout)
                        return nil
                    }
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let answer = first else {
                    channel.channel.close(promise: nil)
                    throw WardenClientError.timedOut(socketPath: socketPath, after: timeout ?? .zero)
                }
                return answer
            }
        } catch let error as WardenClientError {
            throw error
        } catch {
            channel.channel.close(promise: nil)
            throw .malformedResponse("connection to \(socketPath) failed before the answer was complete: \(error)")
        }
    }

    private static func exchange(
        on channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>,
        method: HTTPMethod, path: String, body: [UInt8]?
    ) async throws -> Answer {
        try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
            head.headers.add(name: "Host", value: "localhost")
            head.headers.add(name: "Connection", value: "close")
            head.headers.add(name: "Accept", value: "application/json")
            if let body {
                if !body.isEmpty { head.headers.add(name: "Content-Type", value: "application/json") }
                head.headers.add(name: "Content-Length", value: String(body.count))
            }
            // The server may answer and close as soon as it has the head of a body-less request (we ask
            // for Connection: close); a write that then fails must not hide the answer already on its way.
            var writeError: (any Error)?
            do {
                try await outbound.write(.head(head))
                if let body, !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                try await outbound.write(.end(nil))
            } catch {
                writeError = error
            }

            var status: Int?
            var collected: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let responseHead):
                    status = Int(responseHead.status.code)
                case .body(let buffer):
                    collected.append(contentsOf: buffer.readableBytesView)
                case .end:
                    guard let status else { throw WardenClientError.malformedResponse("answer without a status line") }
                    return Answer(status: status, body: collected)
                }
            }
            if let writeError { throw writeError }
            throw WardenClientError.malformedResponse("connection closed before the answer was complete")
        }
    }

    private static func describeConnectError(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        if let error = error as? SocketAddressError, case .unixDomainSocketPathTooLong = error {
            return "socket path is longer than 107 bytes"
        }
        if error is ChannelError { return "connection timed out" }
        return "\(error)"
    }
}
