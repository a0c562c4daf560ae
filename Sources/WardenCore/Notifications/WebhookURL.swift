/// A sink's `url`: `http://` or `https://`, a host, an optional port, path and query. Holds secrets (a
/// Slack webhook's path, a token in the query, `user:password@`), so only `redacted` is ever shown.
public struct WebhookURL: Sendable, Equatable, CustomStringConvertible {
    /// The URL as configured: what requests go to. Never log it.
    public let text: String
    public let scheme: String
    public let host: String
    public let port: Int?

    /// Parses `text`; `nil` with the reason (which never quotes the URL) when it is not usable.
    public static func parse(_ text: String) -> Result<WebhookURL, Problem> {
        guard let separator = text.firstRange(of: "://") else { return .failure(.init("it must start with http:// or https://")) }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            return .failure(.init("scheme \"\(scheme)\" is not supported; use http:// or https://"))
        }
        guard !text.contains(where: { $0.isWhitespace }) else { return .failure(.init("it must not contain blanks")) }
        let rest = text[separator.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority
        var host = Substring(hostPort)
        var port: Int?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return .failure(.init("its host has an unclosed \"[\"")) }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                guard let number = Int(after.dropFirst()), (1...65535).contains(number) else { return .failure(.init("its port is not a number from 1 to 65535")) }
                port = number
            } else if !after.isEmpty {
                return .failure(.init("its host is not valid"))
            }
            host = host[...close]
        } else if let colon = host.lastIndex(of: ":") {
            guard let number = Int(host[host.index(after: colon)...]), (1...65535).contains(number) else {
                return .failure(.init("its port is not a number from 1 to 65535"))
            }
            port = number
            host = host[..<colon]
        }
        guard !host.isEmpty else { return .failure(.init("it has no host")) }
        return .success(WebhookURL(text: text, scheme: scheme, host: String(host), port: port))
    }

    /// Why a URL is refused.
    public struct Problem: Error, Sendable, Equatable {
        public let message: String
        init(_ message: String) { self.message = message }
    }

    /// The URL's parts after `scheme://`: the authority (`user:password@host:port`) and the rest (path, query).
    private var parts: (authority: Substring, rest: Substring) {
        let afterScheme = text.firstRange(of: "://").map { text[$0.upperBound...] } ?? Substring(text)
        let end = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        return (afterScheme[..<end], afterScheme[end...])
    }

    /// `user:password` before the host, as written (percent-encoded), or `nil`.
    public var userinfo: String? {
        let authority = parts.authority
        return authority.lastIndex(of: "@").map { String(authority[..<$0]) }
    }

    /// The URL without its user information: what the request is sent to (the user information goes in an
    /// `Authorization` header).
    public var withoutUserinfo: String {
        guard let userinfo else { return text }
        return "\(scheme)://" + parts.authority.dropFirst(userinfo.count + 1) + parts.rest
    }

    /// The parts that may be secret (user information, path and query), to blank out of error texts.
    public var secretParts: [String] {
        ([String(parts.rest)] + (userinfo.map { [$0] } ?? [])).filter { $0.count > 1 }
    }

    /// `scheme://host[:port]`, plus `/…` when the URL has more: what logs and `/v1/health` show (a webhook's
    /// path, query and user information may be its secret).
    public var redacted: String {
        let base = "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "")
        return parts.rest.isEmpty || parts.rest == "/" ? base : base + "/…"
    }

    /// `redacted`: a URL never prints its secrets.
    public var description: String { redacted }
}
