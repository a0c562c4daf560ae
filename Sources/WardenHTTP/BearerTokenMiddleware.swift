import Hummingbird

/// Lets a request through only with `Authorization: Bearer TOKEN` naming the configured token; anything
/// else is answered 401 with `WWW-Authenticate: Bearer` (RFC 6750) and a JSON error, before any route runs.
///
/// The comparison takes the same time wherever the presented token first differs (and whatever its
/// length), so timing does not reveal a prefix of the token.
struct BearerTokenMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let token: [UInt8]

    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization], BearerTokenCheck.matches(header, token: token) else {
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
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt64(a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= UInt64(x ^ y)
        }
        return difference == 0
    }
}
