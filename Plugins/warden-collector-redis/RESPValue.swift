/// A RESP2 reply (Redis serialization protocol, version 2: https://redis.io/docs/latest/develop/reference/protocol-spec/).
///
/// Wire forms: `+text\r\n` simple string, `-CODE text\r\n` error, `:123\r\n` integer (signed 64-bit),
/// `$N\r\n<N bytes>\r\n` bulk string (`$-1\r\n` null), `*N\r\n<N replies>` array (`*-1\r\n` null).
enum RESPValue: Equatable, Sendable {
    case simpleString(String)
    /// An error reply; the first word is the code by convention (`ERR`, `WRONGPASS`, `NOAUTH`, `NOPERM`).
    case error(String)
    case integer(Int64)
    /// A bulk string; `nil` is the null bulk string (`$-1`).
    case bulkString([UInt8]?)
    /// An array; `nil` is the null array (`*-1`).
    case array([RESPValue]?)

    /// The text of a simple or bulk string (UTF-8, invalid bytes replaced), `nil` otherwise.
    var text: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes?): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }
}

/// Encodes a command as RESP2 clients must send it: an array of bulk strings.
enum RESPCommand {
    /// `*<n>\r\n` then `$<len>\r\n<bytes>\r\n` per argument.
    static func encode(_ arguments: [String]) -> [UInt8] {
        var bytes = Array("*\(arguments.count)\r\n".utf8)
        for argument in arguments {
            let utf8 = Array(argument.utf8)
            bytes += Array("$\(utf8.count)\r\n".utf8)
            bytes += utf8
            bytes += [13, 10]
        }
        return bytes
    }
}
