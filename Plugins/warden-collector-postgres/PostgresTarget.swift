/// The server a collector watches, parsed from the `url` of the collector's `config` in Warden's `hello`.
///
/// Supported URL parts (a subset of libpq's connection URIs):
/// ```
/// postgres://USER[:PASSWORD]@HOST[:PORT][/DATABASE][?PARAM=VALUE&...]      (postgresql:// too)
/// ```
/// - `USER` is required; `USER`, `PASSWORD`, `DATABASE` and `HOST` may be percent-encoded.
/// - `HOST`: an IPv4 address, a name, or `[IPv6]`. A host that decodes to an absolute path
///   (`%2Fvar%2Frun%2Fpostgresql`) is a unix-socket directory; the socket is `DIR/.s.PGSQL.PORT`.
/// - `PORT` defaults to 5432; `DATABASE` defaults to `USER` (as libpq does).
/// - Parameters: `host=/dir` (unix-socket directory, overrides `HOST`), `sslmode=disable|prefer|require|verify-full`
///   (default `disable`; `require` encrypts without verifying the certificate, `verify-full` verifies it
///   and the host name against the system trust roots), `application_name` (default
///   `warden-collector-postgres`), `connect_timeout` (seconds). Any other parameter is an error.
///
/// The password is kept only for connecting: `poolID`, `description` and every error leave it out.
struct PostgresTarget: Sendable, CustomStringConvertible {
    enum SSLMode: String, Sendable { case disable, prefer, require, verifyFull = "verify-full" }

    var user: String
    var password: String?
    /// TCP host (`127.0.0.1`, `db.local`, `::1` without brackets); `nil` when `socketDirectory` is set.
    var host: String?
    /// Unix-socket directory; `nil` for TCP.
    var socketDirectory: String?
    var port: Int
    var database: String
    var sslMode: SSLMode
    var applicationName: String
    /// Seconds allowed for connecting, from `connect_timeout`; `nil` means the collector's own default.
    var connectTimeoutSeconds: Double?

    /// Pool identity without credentials: `postgres://HOST:PORT/DATABASE`; IPv6 hosts in brackets, a socket
    /// directory percent-encoded (`postgres://%2Fvar%2Frun%2Fpostgresql:5432/app`).
    var poolID: String {
        let hostPart: String
        if let socketDirectory { hostPart = socketDirectory.replacingSlashes() }
        else if let host, host.contains(":") { hostPart = "[\(host)]" }
        else { hostPart = host ?? "" }
        return "postgres://\(hostPart):\(port)/\(database)"
    }

    /// Path of the server's unix socket, `nil` for TCP.
    var unixSocketPath: String? {
        socketDirectory.map { "\($0.hasSuffix("/") ? String($0.dropLast()) : $0)/.s.PGSQL.\(port)" }
    }

    var description: String { "\(poolID) as \(user)" }

    /// Parses `url`. Errors name the faulty part but never repeat the URL or any part of the user info.
    init(url: String) throws(PostgresURLError) {
        var rest = Substring(url)
        if rest.hasPrefix("postgres://") { rest = rest.dropFirst("postgres://".count) }
        else if rest.hasPrefix("postgresql://") { rest = rest.dropFirst("postgresql://".count) }
        else { throw .invalid("the scheme must be postgres:// or postgresql://") }

        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") { query = rest[rest.index(after: mark)...]; rest = rest[..<mark] }
        var path: Substring = ""
        // The authority ends at the first "/" after the user info (a password may contain "/").
        let userInfoEnd = rest.lastIndex(of: "@")
        let searchFrom = userInfoEnd.map { rest.index(after: $0) } ?? rest.startIndex
        if let slash = rest[searchFrom...].firstIndex(of: "/") { path = rest[rest.index(after: slash)...]; rest = rest[..<slash] }

        guard let at = userInfoEnd else { throw .invalid("a user name is required (postgres://USER@HOST/DB)") }
        let userInfo = rest[..<at]
        let hostPort = rest[rest.index(after: at)...]
        if let colon = userInfo.firstIndex(of: ":") {
            user = try Self.decoded(userInfo[..<colon], part: "user name")
            password = try Self.decoded(userInfo[userInfo.index(after: colon)...], part: "password")
        } else {
            user = try Self.decoded(userInfo, part: "user name")
            password = nil
        }
        guard !user.isEmpty else { throw .invalid("a user name is required (postgres://USER@HOST/DB)") }

        var hostText: Substring = hostPort
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw .invalid("an IPv6 host lacks its closing ]") }
            hostText = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() }
            else if !after.isEmpty { throw .invalid("unexpected text after the IPv6 host") }
        } else if let colon = hostPort.lastIndex(of: ":") {
            hostText = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        }
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { throw .invalid("the port must be 1...65535") }
            port = value
        } else {
            port = 5432
        }
        let decodedHost = try Self.decoded(hostText, part: "host")
        if decodedHost.hasPrefix("/") { host = nil; socketDirectory = decodedHost }
        else { host = decodedHost.isEmpty ? nil : decodedHost; socketDirectory = nil }

        let decodedDatabase = try Self.decoded(path, part: "database")
        database = decodedDatabase.isEmpty ? user : decodedDatabase
        sslMode = .disable
        applicationName = "warden-collector-postgres"
        connectTimeoutSeconds = nil

        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = try Self.decoded(parts[0], part: "parameter name")
            let value = try Self.decoded(parts.count > 1 ? parts[1] : "", part: "parameter \(key)")
            switch key {
            case "host":
                guard value.hasPrefix("/") else { throw .invalid("parameter host must be an absolute socket directory") }
                host = nil; socketDirectory = value
            case "sslmode":
                if value == "verify-ca" { throw .invalid("sslmode=verify-ca is not supported; use verify-full") }
                guard let mode = SSLMode(rawValue: value) else {
                    throw .invalid("sslmode must be disable, prefer, require or verify-full")
                }
                sslMode = mode
            case "application_name":
                applicationName = value
            case "connect_timeout":
                guard let seconds = Double(value), seconds > 0 else { throw .invalid("connect_timeout must be seconds > 0") }
                connectTimeoutSeconds = seconds
            default:
                throw .invalid("unsupported URL parameter \"\(key)\" (supported: host, sslmode, application_name, connect_timeout)")
            }
        }
        guard host != nil || socketDirectory != nil else { throw .invalid("a host is required") }
        if socketDirectory != nil && sslMode != .disable && sslMode != .prefer {
            throw .invalid("sslmode=\(sslMode.rawValue) needs a TCP host, not a unix socket")
        }
    }

    /// Percent-decodes one URL part (UTF-8).
    private static func decoded(_ text: Substring, part: String) throws(PostgresURLError) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw .invalid("the \(part) has a malformed %-escape")
            }
            bytes.append(high << 4 | low)
        }
        guard let string = String(validating: bytes, as: UTF8.self) else { throw .invalid("the \(part) is not UTF-8") }
        return string
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A `url` the collector cannot use. The text names the problem, never the URL or its credentials.
enum PostgresURLError: Error, CustomStringConvertible {
    case invalid(String)

    var description: String {
        switch self { case .invalid(let why): "config.url: \(why)" }
    }
}

private extension String {
    /// `/var/run/x` → `%2Fvar%2Frun%2Fx`, the libpq URI spelling of a socket directory.
    func replacingSlashes() -> String {
        var out = ""
        for character in self { out += character == "/" ? "%2F" : String(character) }
        return out
    }
}
