public import Hummingbird

/// Lets a request through only with `Authorization: Bearer TOKEN` naming the configured token, or, when a
/// `BrowserFrontend` is installed, with a browser session it accepts (and the paths the frontend serves
/// itself); anything else is answered 401 with `WWW-Authenticate: Bearer` (RFC 6750) and a JSON error,
/// before any route runs.
///
/// The comparison takes the same time wherever the presented token first differs (and whatever its
/// length), so timing does not reveal a prefix of the token.
struct BearerTokenMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext
    let token: [UInt8]
    var browser: (any BrowserFrontend)? = nil

    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let browser, browser.serves(path: request.uri.path) { return try await next(request, context) }
        if let header = request.headers[.authorization], BearerTokenCheck.matches(header, token: token) {
            return try await next(request, context)
        }
        guard let browser, await browser.authorizes(request) else {
            var response = APIFailure(
                .unauthorized, field: "authorization",
                message: "missing or wrong bearer token; send Authorization: Bearer TOKEN (the contents of [http] token_file)"
            ).response
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return try await next(request, context)
    }
}

/// The comparison behind `BearerTokenMiddleware` (public for tests and other listeners).
public enum BearerTokenCheck {
    /// Whether `header` is `Bearer TOKEN` (scheme case-insensitive) with exactly `token`.
    public static func matches(_ header: String, token: [UInt8]) -> Bool {
        let bytes = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        guard !token.isEmpty, bytes.count > scheme.count,
              zip(bytes, scheme).allSatisfy({ ($0 | 0x20) == $1 || ($0 == 0x20 && $1 == 0x20) })
        else { return false }
        return constantTimeEqual(Array(bytes[scheme.count...]), token)
    }

    /// Equality whose running time depends only on the lengths, never on where the bytes differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt64(a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= UInt64(x ^ y)
        }
        return difference == 0
    }
}

/// A browser interface on the TCP listener (the dashboard): it serves its own pages with its own login, and
/// may let its sessions use the API.
public protocol BrowserFrontend: Sendable {
    /// Whether the frontend serves `path` itself (pages, assets, login); such requests skip the bearer check.
    func serves(path: String) -> Bool
    /// Whether `request` (to an API route) carries a live browser session, and for any method but GET/HEAD
    /// also that session's CSRF token.
    func authorizes(_ request: Request) async -> Bool
    /// Adds the frontend's routes.
    func register(on router: Router<WardenRequestContext>)
}
