import Hummingbird
import Logging
import NIOCore
import WardenAPI

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An error answer: an HTTP status and an `APIErrorBody`.
struct APIFailure: Error, Sendable {
    var status: HTTPResponse.Status
    var body: APIErrorBody

    init(_ status: HTTPResponse.Status, field: String?, message: String) {
        self.status = status
        self.body = APIErrorBody(field: field, message: message)
    }

    /// The answer for a supervisor refusal: 404 unknown name, 409 failed action, 422 invalid config,
    /// 503 shutting down.
    init(_ error: ControlError) {
        let status: HTTPResponse.Status
        switch error.code {
        case .unknownName: status = .notFound
        case .actionFailed: status = .conflict
        case .invalidConfig: status = .unprocessableContent
        case .shuttingDown: status = .serviceUnavailable
        }
        self.init(status, field: error.field, message: error.message)
    }

    var response: Response { JSONResponse.make(body, status: status) }
}

/// Turns every error thrown below it into a JSON `APIErrorBody` answer, so no route answers an empty
/// body or a bare 500 and no input can take the server down.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext
    let logger: Logger

    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let failure as APIFailure {
            return failure.response
        } catch let error as ControlError {
            return APIFailure(error).response
        } catch let error as HTTPError where error.status == .notFound {
            // The router answers 404 for a known path asked with another method: that is a 405 (RFC 9110
            // §15.5.6), with the method to use in `Allow`.
            if let allowed = ControlRoutes.methods[request.uri.path] {
                var response = APIFailure(
                    .methodNotAllowed, field: nil,
                    message: "\(request.method) not allowed on \(request.uri.path); use \(allowed)"
                ).response
                response.headers[.allow] = allowed.rawValue
                return response
            }
            return APIFailure(
                .notFound, field: nil, message: "no route \(request.method) \(request.uri.path)"
            ).response
        } catch let error as any HTTPResponseError {
            let message = (error as? HTTPError)?.body ?? error.status.reasonPhrase
            return APIFailure(error.status, field: nil, message: message).response
        } catch is CancellationError {
            return APIFailure(.serviceUnavailable, field: nil, message: "request cancelled: Warden is shutting down").response
        } catch {
            logger.error(
                "control request failed", metadata: ["path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
            return APIFailure(.internalServerError, field: nil, message: "internal error: \(error)").response
        }
    }
}

/// JSON answers with sorted keys and a trailing newline (friendly to `curl`).
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes: [UInt8]
        do {
            bytes = Array(try encoder.encode(value))
        } catch {
            bytes = Array(#"{"error":{"field":null,"message":"cannot encode the answer"}}"#.utf8)
        }
        bytes.append(0x0A)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
