import Crypto
import Hummingbird
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The dashboard's answers: pages with a strict Content-Security-Policy, JSON, redirects, compiled-in assets.
enum Reply {
    /// Only this origin's script and style; no inline script, no frames, forms only to this origin.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.cacheControl] = "no-store"
        headers[HeaderName("X-Content-Type-Options")!] = "nosniff"
        headers[HeaderName("Referrer-Policy")!] = "same-origin"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = (try? encoder.encode(value)).map(Array.init) ?? Array(#"{"error":{"field":null,"message":"cannot encode the answer"}}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The API's error shape: `{"error": {"field": ..., "message": ...}}`.
    static func error(_ status: HTTPResponse.Status, field: String?, message: String) -> Response {
        json(["error": ErrorBody(field: field, message: message)], status: status)
    }

    struct ErrorBody: Encodable {
        var field: String?
        var message: String
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(field, forKey: .field); try c.encode(message, forKey: .message)
        }
        enum CodingKeys: String, CodingKey { case field, message }
    }

    static var unauthorized: Response {
        error(.unauthorized, field: "session", message: "no live dashboard session (or a missing CSRF token); log in at /login")
    }

    /// 429 with `Retry-After` (whole seconds) and the login form saying how long to wait.
    static func throttled(_ seconds: Double) -> Response {
        let wait = max(1, Int(seconds.rounded(.up)))
        var response = html(Pages.login(error: "Too many wrong tokens from this address: try again in \(wait) s."), status: .tooManyRequests)
        response.headers[.retryAfter] = String(wait)
        return response
    }

    /// 303 See Other to `location`.
    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }

    /// A compiled-in asset with its ETag; 304 when the browser already has it.
    static func asset(_ asset: DashboardAssets.Asset, request: Request) -> Response {
        var headers = HTTPFields()
        headers[.eTag] = asset.etag
        headers[.cacheControl] = "no-cache"
        headers[HeaderName("X-Content-Type-Options")!] = "nosniff"
        if request.headers[.ifNoneMatch] == asset.etag { return Response(status: .notModified, headers: headers) }
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}

/// `application/x-www-form-urlencoded` bodies (the login and logout forms).
enum FormBody {
    /// The fields of `request`'s body (later duplicates win); a body over `Dashboard.maxBodyBytes` is an error.
    static func read(_ request: Request) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: Dashboard.maxBodyBytes)
        return parse(String(buffer: buffer))
    }

    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            guard let key = parts.first else { continue }
            fields[decode(key)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}

/// The compiled-in stylesheet and script (`Assets/*.css`, `Assets/*.js` in file-name order, embedded by the
/// WardenDashboardAssets build plugin), with their ETags.
enum DashboardAssets {
    struct Asset: Sendable {
        let bytes: [UInt8]
        let contentType: String
        let etag: String
        init(_ text: String, contentType: String) {
            bytes = Array(text.utf8)
            self.contentType = contentType
            etag = "\"" + Hex.string(SHA256.hash(data: bytes).prefix(12)) + "\""
        }
    }

    static let css = Asset(joined(".css"), contentType: "text/css; charset=utf-8")
    static let script = Asset(joined(".js"), contentType: "text/javascript; charset=utf-8")

    static func joined(_ suffix: String) -> String {
        EmbeddedAssets.files.keys.filter { $0.hasSuffix(suffix) }.sorted().map { EmbeddedAssets.files[$0]! }.joined(separator: "\n")
    }
}

/// A header name (`HTTPField.Name`; Hummingbird re-exports `HTTPFields`, not `HTTPField`).
typealias HeaderName = HTTPFields.Element.Name
