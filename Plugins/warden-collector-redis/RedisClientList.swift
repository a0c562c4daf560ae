/// One line of `CLIENT LIST`: space-separated `key=value` pairs (unknown keys ignored, missing ones defaulted).
struct RedisClientInfo: Sendable, Equatable {
    /// `id`: unique 64-bit client id.
    var id: UInt64
    /// `addr`: client `ip:port` (`[v6]:port` in recent versions), or `path:0` for a unix socket.
    var addr: String
    /// `flags`: `N` none, `b` blocked, `x` in MULTI, `P` Pub/Sub, `U` unix socket, `S`/`M` replica/master, ...
    var flags: String
    /// `age`: seconds since the connection was made.
    var age: Int
    /// `idle`: seconds since the last command started (for a blocked client: since the blocking command started).
    var idle: Int
    /// `multi`: commands queued in MULTI, -1 outside MULTI.
    var multi: Int
    /// `cmd`: last command run (`NULL` before the first).
    var cmd: String
    /// `fd`: the server process's descriptor for this connection (`/proc/SERVERPID/fd/FD`), `nil` when
    /// absent or -1 (a client with no socket: scripts, modules).
    var fd: Int32?

    init(
        id: UInt64, addr: String, flags: String = "N", age: Int = 0, idle: Int = 0, multi: Int = -1,
        cmd: String = "NULL", fd: Int32? = nil
    ) {
        self.id = id; self.addr = addr; self.flags = flags; self.age = age; self.idle = idle; self.multi = multi
        self.cmd = cmd; self.fd = fd
    }

    /// Connected through a unix socket (flag `U`, or a path as `addr`).
    var isUnixSocket: Bool { flags.contains("U") || addr.hasPrefix("/") }

    /// In a MULTI block (flag `x`, or `multi` >= 0).
    var inMulti: Bool { flags.contains("x") || multi >= 0 }
    /// Blocked in a blocking command (flag `b`).
    var isBlocked: Bool { flags.contains("b") }
    /// Subscribed to Pub/Sub channels (flag `P`).
    var isPubSub: Bool { flags.contains("P") }
    /// A replication link (flag `S` replica or `M` master), not an application connection.
    var isReplication: Bool { flags.contains("S") || flags.contains("M") }

    /// The TCP client endpoint from `addr`, split on the last colon (IPv6 brackets removed);
    /// `nil` for a unix-socket client (flag `U`, or a path) or an unparsable address.
    var tcpEndpoint: (host: String, port: Int)? {
        guard !isUnixSocket, let colon = addr.lastIndex(of: ":"),
              let port = Int(addr[addr.index(after: colon)...])
        else { return nil }
        var host = addr[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return host.isEmpty ? nil : (String(host), port)
    }
}

/// Parsers for the text payloads of `CLIENT LIST` and `INFO`.
enum RedisText {
    // Lines are split with `isNewline`: in Swift "\r\n" is a single Character, equal to neither "\r" nor "\n".

    /// Parses a `CLIENT LIST` reply; lines without a numeric `id` and an `addr` are skipped.
    static func clientList(_ text: String) -> [RedisClientInfo] {
        var clients: [RedisClientInfo] = []
        for line in text.split(whereSeparator: \.isNewline) {
            var fields: [Substring: Substring] = [:]
            for pair in line.split(separator: " ") {
                guard let equals = pair.firstIndex(of: "=") else { continue }
                fields[pair[..<equals]] = pair[pair.index(after: equals)...]
            }
            guard let idText = fields["id"], let id = UInt64(idText), let addr = fields["addr"] else { continue }
            clients.append(RedisClientInfo(
                id: id, addr: String(addr), flags: String(fields["flags"] ?? "N"),
                age: fields["age"].flatMap { Int($0) } ?? 0, idle: fields["idle"].flatMap { Int($0) } ?? 0,
                multi: fields["multi"].flatMap { Int($0) } ?? -1, cmd: String(fields["cmd"] ?? "NULL"),
                fd: fields["fd"].flatMap { Int32($0) }.flatMap { $0 >= 0 ? $0 : nil }))
        }
        return clients
    }

    /// Parses an `INFO` reply (`# Section` headers, `key:value` lines) into a flat dictionary.
    static func info(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }
}
