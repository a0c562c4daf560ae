import Hummingbird
import Logging
import NIOCore
import WardenAPI
import WardenCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The handlers of the control API; each turns a request into a `SupervisorControl` call.
struct ControlRoutes: Sendable {
    let control: any SupervisorControl
    let metrics: (any MetricsSource)?
    let history: (any HistoryQuerying)?
    let notifications: (any NotificationsReporting)?
    let logger: Logger

    /// Largest request body accepted (an action request is a few hundred bytes).
    static let maxBodyBytes = 1 << 20

    /// The method of each route, by path (each path has one): what `Allow` says in a 405.
    static let methods: [String: HTTPRequest.Method] = [
        APIRoute.processes: .get, APIRoute.start: .post, APIRoute.stop: .post, APIRoute.restart: .post,
        APIRoute.signal: .post, APIRoute.reload: .post, APIRoute.shutdown: .post, APIRoute.health: .get, APIRoute.pools: .get,
        APIRoute.alerts: .get, APIRoute.metrics: .get, APIRoute.poolHistory: .get, APIRoute.events: .get,
    ]

    /// `Content-Type` of `GET /metrics`: Prometheus's text exposition format.
    static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    func register(on router: Router<WardenRequestContext>) {
        router.get(RouterPath(APIRoute.processes)) { request, _ in try await status(request) }
        router.get(RouterPath(APIRoute.process)) { _, context in
            let encoded = try context.parameters.require("name")
            return try await process(named: encoded.removingPercentEncoding ?? encoded)
        }
        router.post(RouterPath(APIRoute.start)) { request, _ in
            try await action(request, "start") { try await control.start(names: $0) }
        }
        router.post(RouterPath(APIRoute.stop)) { request, _ in
            try await action(request, "stop") { try await control.stop(names: $0) }
        }
        router.post(RouterPath(APIRoute.restart)) { request, _ in
            try await action(request, "restart") { try await control.restart(names: $0) }
        }
        router.post(RouterPath(APIRoute.signal)) { request, _ in try await signal(request) }
        router.post(RouterPath(APIRoute.reload)) { _, _ in try await reload() }
        router.post(RouterPath(APIRoute.shutdown)) { _, _ in await shutdown() }
        router.get(RouterPath(APIRoute.health)) { _, _ in
            var health = await control.health()
            health.history = await history?.health()
            health.notifications = notifications?.health()
            return JSONResponse.make(health)
        }
        router.get(RouterPath(APIRoute.pools)) { _, _ in JSONResponse.make(await control.pools()) }
        router.get(RouterPath(APIRoute.alerts)) { request, _ in
            // Without a range: what the trackers hold (open and recently resolved). With one: the open alerts
            // and those resolved in it, from the history too.
            try HistoryRoutes.onlyParameters(request, HistoryRoutes.rangeParameters)
            let live = await control.alerts()
            guard !request.uri.queryParameters.isEmpty else { return JSONResponse.make(live) }
            let range = try HistoryRoutes.range(request)
            let recorded = try await history?.resolvedAlerts(range: range) ?? []
            return JSONResponse.make(AlertList(live: live, recorded: recorded, range: range))
        }
        if let history { HistoryRoutes(control: control, history: history).register(on: router) }
        if let metrics {
            router.get(RouterPath(APIRoute.metrics)) { _, _ in
                Response(
                    status: .ok, headers: [.contentType: Self.metricsContentType],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render())))
            }
        }
    }

    /// `GET /v1/processes?name=a&name=b`; no `name` means every process.
    func status(_ request: Request) async throws -> Response {
        var names: [String] = []
        for (key, value) in request.uri.queryParameters where key == "name" {
            guard !value.isEmpty else {
                throw APIFailure(.badRequest, field: "name", message: "query parameter \"name\" is empty; write ?name=api")
            }
            names.append(String(value))
        }
        try ProcessNames.checkLength(names, field: "name")
        let processes = try await control.status(names: names)
        return JSONResponse.make(ProcessList(processes: processes))
    }

    /// `GET /v1/processes/NAME`: the `ProcessStatus` of one instance, or of a program with a single instance.
    /// 404 naming NAME when unknown; 400 when NAME stands for several (`all`, `PROGRAM:*`, a program with
    /// `numprocs > 1`); 405 for the action paths (`/v1/processes/start` is POST).
    func process(named name: String) async throws -> Response {
        if let allowed = Self.methods[APIRoute.processes + "/" + name] {
            var response = APIFailure(.methodNotAllowed, field: nil,
                                      message: "GET not allowed on \(APIRoute.processes)/\(name); use \(allowed)").response
            response.headers[.allow] = allowed.rawValue
            return response
        }
        try ProcessNames.checkLength([name], field: "name")
        guard name != "all", !name.hasSuffix(":*") else {
            throw APIFailure(.badRequest, field: "name",
                             message: "\(name) names several processes; use GET \(APIRoute.processes)?name=\(name)")
        }
        let statuses: [ProcessStatus]
        do {
            statuses = try await control.status(names: [name])
        } catch {
            // The supervisor names the field `names`; here the name is the path's.
            guard error.code == .unknownName else { throw error }
            throw APIFailure(.notFound, field: "name", message: "no such process: \(name)")
        }
        guard statuses.count == 1 else {
            let names = statuses.map(\.name).joined(separator: ", ")
            throw APIFailure(.badRequest, field: "name",
                             message: "\(name) has \(statuses.count) instances (\(names)); name one, or use GET \(APIRoute.processes)?name=\(name)")
        }
        return JSONResponse.make(statuses[0])
    }

    /// `POST /v1/processes/{start,stop,restart}` with `{"names": [...]}`; waits until the action is done.
    func action(
        _ request: Request, _ verb: String,
        _ perform: ([String]) async throws -> [ProcessStatus]
    ) async throws -> Response {
        let body = try await ActionRequestDecoder.decode(request)
        logger.info("control request", metadata: ["action": "\(verb)", "names": "\(body.names)"])
        let processes = try await perform(body.names)
        return JSONResponse.make(ProcessActionResult(processes: processes))
    }

    /// `POST /v1/processes/signal` with `{"names": [...], "signal": "USR1", "group": false}`.
    func signal(_ request: Request) async throws -> Response {
        let example = #"{"names": ["api:0"], "signal": "USR1"}"#
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIFailure(.contentTooLarge, field: "body", message: "request body is larger than \(Self.maxBodyBytes) bytes")
        }
        let body: ProcessSignalRequest
        do {
            body = try JSONDecoder().decode(ProcessSignalRequest.self, from: Data(buffer.readableBytesView))
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIFailure(.badRequest, field: key.stringValue, message: "missing \"\(key.stringValue)\"; expected JSON like \(example)")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.first?.stringValue ?? "body"
            throw APIFailure(.badRequest, field: field, message: "\"\(field)\" has the wrong type; expected JSON like \(example)")
        } catch {
            throw APIFailure(.badRequest, field: "body", message: "request body is not valid JSON; expected JSON like \(example)")
        }
        guard !body.names.isEmpty, !body.names.contains(where: \.isEmpty) else {
            throw APIFailure(.badRequest, field: "names", message: "\"names\" must list instance or program names, PROGRAM:* or \"all\"")
        }
        guard let signal = OperatorSignal(parsing: body.signal) else {
            throw APIFailure(.badRequest, field: "signal", message: "unknown signal \"\(body.signal)\"; write a name such as USR1 or HUP, or a number 1-64")
        }
        let group = body.group ?? false
        logger.info("control request", metadata: ["action": "signal", "names": "\(body.names)", "signal": "\(signal)", "group": "\(group)"])
        let processes = try await control.signal(names: body.names, signal: signal, group: group)
        return JSONResponse.make(ProcessActionResult(processes: processes))
    }

    /// `POST /v1/reload`.
    func reload() async throws -> Response {
        logger.info("control request", metadata: ["action": "reload"])
        let changes = try await control.reload()
        return JSONResponse.make(ReloadResult(changes: changes))
    }

    /// `POST /v1/shutdown`: starts the graceful shutdown and answers 202 at once.
    func shutdown() async -> Response {
        logger.notice("shutdown requested through the control API")
        await control.shutdown()
        return JSONResponse.make(EmptyObject(), status: .accepted)
    }
}

/// `{}`.
struct EmptyObject: Codable {}

/// Turns the body of an action request into a `ProcessActionRequest`, or a 400 naming the field at fault.
enum ActionRequestDecoder {
    static let example = #"{"names": ["api"]}"#

    static func decode(_ request: Request) async throws -> ProcessActionRequest {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: ControlRoutes.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIFailure(
                .contentTooLarge, field: "body", message: "request body is larger than \(ControlRoutes.maxBodyBytes) bytes")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // The connection closed before the body's end, a chunk size that is not hex, a length that
            // does not match: the client's fault, not the server's.
            throw APIFailure(.badRequest, field: "body", message: "request body could not be read (truncated or badly chunked): \(error)")
        }
        let decoded = try decode(bytes: Array(buffer.readableBytesView))
        guard !decoded.names.isEmpty else {
            throw APIFailure(
                .badRequest, field: "names",
                message: "\"names\" is empty; list instance or program names, PROGRAM:* or \"all\"")
        }
        if decoded.names.contains(where: \.isEmpty) {
            throw APIFailure(.badRequest, field: "names", message: "\"names\" contains an empty name")
        }
        try ProcessNames.checkLength(decoded.names, field: "names")
        return decoded
    }

    /// Decodes `bytes`, mapping every `DecodingError` to a 400 `APIFailure`.
    static func decode(bytes: [UInt8]) throws(APIFailure) -> ProcessActionRequest {
        guard bytes.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
            throw APIFailure(.badRequest, field: "body", message: "request body is empty; expected JSON like \(example)")
        }
        do {
            return try JSONDecoder().decode(ProcessActionRequest.self, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, context) {
            let field = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            throw APIFailure(.badRequest, field: field, message: "missing \"\(field)\"; expected JSON like \(example)")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            guard let first = context.codingPath.first else {
                throw APIFailure(.badRequest, field: "body", message: "request body must be a JSON object like \(example)")
            }
            throw APIFailure(
                .badRequest, field: first.stringValue,
                message: "\"\(first.stringValue)\" must be an array of strings, e.g. \(example)")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            let field = context.codingPath.first!.stringValue
            throw APIFailure(.badRequest, field: field, message: "\"\(field)\" is invalid: \(context.debugDescription)")
        } catch {
            throw APIFailure(.badRequest, field: "body", message: "request body is not valid JSON; expected JSON like \(example)")
        }
    }
}

/// Names in requests: none longer than a process name can be reaches the supervisor, its errors or the log,
/// and the refusal quotes only the name's beginning (a 900 KB name was echoed back and logged whole).
enum ProcessNames {
    /// Longest name accepted: a program name (`ProgramNames.maxLength`) with `:INDEX`, or `PROGRAM:*`.
    static let maxBytes = ProgramNames.maxLength + 8

    static func checkLength(_ names: [String], field: String) throws(APIFailure) {
        guard let long = names.first(where: { $0.utf8.count > maxBytes }) else { return }
        throw APIFailure(.badRequest, field: field,
                         message: "name \(ProgramNames.clipped(long)) is \(long.utf8.count) bytes; names are at most \(maxBytes)")
    }
}
