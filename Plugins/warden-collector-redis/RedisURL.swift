/// The collector's target, parsed from `config.url = "redis://[user:password@]host[:port][/db]"`.
///
/// `user` and `password` are percent-decoded; an empty user (`redis://:secret@host`) means `AUTH password`
/// (the `default` user). IPv6 hosts are written in brackets (`redis://[::1]:6379`). The port defaults to
/// 6379. `/db` is accepted and ignored (CLIENT LIST is server-wide). The password is never part of
/// `pool`, `description` or any error message.
struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    var user: String?
    var password: String?
    var host: String
    var port: Int

    /// Pool identity without credentials: `redis://host:port` (`redis://[::1]:6379` for IPv6).
    var pool: String { host.contains(":") ? "redis://[\(host)]:\(port)" : "redis://\(host):\(port)" }

    var description: String { pool }

    /// Why a URL was refused; the text never contains the URL or any part of it.
    struct Invalid: Error, Equatable, CustomStringConvertible {
        let reason: String
        var description: String { "invalid config.url (\(reason)); expected redis://[user:password@]host:port" }
    }

    init(user: String? = nil, password: String? = nil, host: String, port: Int) {
        self.user = user; self.password = password; self.host = host; self.port = port
    }

    init(parsing text: String) throws(Invalid) {
        guard text.hasPrefix("redis://") else { throw Invalid(reason: "scheme must be redis://") }
        var rest = Substring(text.dropFirst("redis://".count))
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            guard path.isEmpty || path.allSatisfy(\.isNumber) else { throw Invalid(reason: "path must be empty or a database number") }
            rest = rest[..<slash]
        }
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                let user = try Self.percentDecoded(userInfo[..<colon])
                if !user.isEmpty { self.user = user }
                password = try Self.percentDecoded(userInfo[userInfo.index(after: colon)...])
            } else {
                // `redis://secret@host` (no colon): the conventional reading is a password alone.
                password = try Self.percentDecoded(userInfo)
            }
            if password == "" { password = nil }
        }
        var hostPart = rest
        var portPart: Substring? = nil
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw Invalid(reason: "unterminated [ in host") }
            let after = hostPart[hostPart.index(after: close)...]
            host = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw Invalid(reason: "unexpected text after ]") }
                portPart = after.dropFirst()
            }
        } else {
            if let colon = hostPart.lastIndex(of: ":") {
                portPart = hostPart[hostPart.index(after: colon)...]
                hostPart = hostPart[..<colon]
            }
            host = String(hostPart)
        }
        guard !host.isEmpty else { throw Invalid(reason: "missing host") }
        guard host.allSatisfy({ $0.isLetter || $0.isNumber || ".-_:%".contains($0) }) else {
            throw Invalid(reason: "host contains invalid characters")
        }
        if let portPart {
            guard let value = Int(portPart), (1...65535).contains(value) else { throw Invalid(reason: "port must be 1...65535") }
            port = value
        } else {
            port = 6379
        }
    }

    private static func percentDecoded(_ text: Substring) throws(Invalid) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { throw Invalid(reason: "bad percent escape in credentials") }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
