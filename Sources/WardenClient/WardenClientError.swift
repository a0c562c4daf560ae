public import WardenAPI

/// Why a control request did not produce an answer the caller can use.
public enum WardenClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The socket could not be connected (no file, nobody listening, permission denied).
    case cannotConnect(socketPath: String, reason: String)
    /// Warden answered with an error status; `error` holds its field and message.
    case api(status: Int, error: APIErrorBody)
    /// The answer was not the HTTP/JSON Warden sends, or the connection closed before it was complete.
    case malformedResponse(String)
    /// No complete answer arrived within the request's timeout.
    case timedOut(socketPath: String, after: Duration)

    /// The HTTP status of an `.api` error, `nil` otherwise.
    public var status: Int? {
        if case .api(let status, _) = self { return status }
        return nil
    }

    /// One or more lines for the terminal. For a 422 on reload, the message holds the config diagnostics,
    /// one `FILE:LINE: message` per line.
    public var description: String {
        switch self {
        case .cannotConnect(let path, let reason):
            return "cannot reach Warden at \(path): \(reason) (is `warden run` running?)"
        case .api(let status, let error):
            // 404, 409, 422 and 503 are the supervisor's own answers; their message says it all.
            if [404, 409, 422, 503].contains(status) { return error.error.message }
            let field = error.error.field.map { ", field \($0)" } ?? ""
            return "\(error.error.message) (HTTP \(status)\(field))"
        case .malformedResponse(let what):
            return "malformed answer from Warden: \(what)"
        case .timedOut(let path, let after):
            return "Warden at \(path) did not answer within \(after)"
        }
    }
}
