/// A reply that does not follow RESP2 (or exceeds the parser's limits); the connection cannot be trusted after it.
struct RESPProtocolError: Error, Equatable, CustomStringConvertible {
    let reason: String
    var description: String { "malformed Redis reply: \(reason)" }
}

/// Incremental RESP2 parser over a byte buffer that accumulates socket reads.
///
/// `parse` returns `nil` while the buffer holds only part of a reply (truncated: wait for more bytes), the
/// reply and the number of bytes it used when complete, and throws `RESPProtocolError` when the bytes cannot
/// be RESP2: an unknown type byte (RESP3 types included), a non-decimal or out-of-range length or integer,
/// a bulk string not followed by CRLF, a bare LF in a line, nesting, sizes or lines beyond the limits.
/// Bulk strings are taken by their declared length, never split on CRLF, so they may contain CR and LF.
struct RESPParser: Sendable {
    /// Largest bulk string accepted (bytes). `CLIENT LIST` with thousands of clients stays far below.
    var maxBulkBytes = 64 << 20
    /// Most elements accepted in one array.
    var maxArrayCount = 1 << 20
    /// Deepest array nesting accepted.
    var maxDepth = 8
    /// Longest simple line (`+`, `-`, `:`, and headers) accepted, CRLF excluded.
    var maxLineBytes = 64 * 1024

    /// Parses one reply from the start of `bytes`.
    func parse(_ bytes: UnsafeRawBufferPointer) throws -> (value: RESPValue, consumed: Int)? {
        var offset = 0
        guard let value = try parseValue(bytes, &offset, depth: 0) else { return nil }
        return (value, offset)
    }

    /// Convenience for tests and small buffers.
    func parse(_ bytes: [UInt8]) throws -> (value: RESPValue, consumed: Int)? {
        try bytes.withUnsafeBytes { try parse($0) }
    }

    private func parseValue(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int, depth: Int) throws -> RESPValue? {
        guard offset < bytes.count else { return nil }
        let type = bytes[offset]
        guard Array("+-:$*".utf8).contains(type) else {
            throw RESPProtocolError(reason: "unexpected type byte 0x\(String(type, radix: 16))")
        }
        var cursor = offset + 1
        guard let line = try readLine(bytes, &cursor) else { return nil }
        switch type {
        case UInt8(ascii: "+"):
            offset = cursor
            return .simpleString(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: "-"):
            offset = cursor
            return .error(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: ":"):
            guard let number = Self.decimal(line) else { throw RESPProtocolError(reason: "bad integer") }
            offset = cursor
            return .integer(number)
        case UInt8(ascii: "$"):
            guard let length = Self.decimal(line), length >= -1 else {
                throw RESPProtocolError(reason: "bad bulk length")
            }
            if length == -1 { offset = cursor; return .bulkString(nil) }
            guard length <= maxBulkBytes else { throw RESPProtocolError(reason: "bulk string of \(length) bytes exceeds the limit") }
            let count = Int(length)
            guard bytes.count - cursor >= count + 2 else { return nil }
            guard bytes[cursor + count] == 13, bytes[cursor + count + 1] == 10 else {
                throw RESPProtocolError(reason: "bulk string not terminated by CRLF")
            }
            let payload = Array(bytes[cursor..<(cursor + count)])
            offset = cursor + count + 2
            return .bulkString(payload)
        case UInt8(ascii: "*"):
            guard let count = Self.decimal(line), count >= -1 else { throw RESPProtocolError(reason: "bad array length") }
            if count == -1 { offset = cursor; return .array(nil) }
            guard count <= maxArrayCount else { throw RESPProtocolError(reason: "array of \(count) elements exceeds the limit") }
            guard depth < maxDepth else { throw RESPProtocolError(reason: "arrays nested too deep") }
            var elements: [RESPValue] = []
            elements.reserveCapacity(Int(min(count, 1024)))
            for _ in 0..<count {
                guard let element = try parseValue(bytes, &cursor, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            offset = cursor
            return .array(elements)
        default:
            throw RESPProtocolError(reason: "unexpected type byte 0x\(String(type, radix: 16))")
        }
    }

    /// The bytes up to CRLF (exclusive), advancing `cursor` past the CRLF; `nil` when no CRLF yet.
    private func readLine(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) throws -> ArraySlice<UInt8>? {
        var index = cursor
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 10 { throw RESPProtocolError(reason: "line feed without carriage return") }
            if byte == 13 {
                guard index + 1 < bytes.count else { return nil }
                guard bytes[index + 1] == 10 else { throw RESPProtocolError(reason: "carriage return without line feed") }
                let line = Array(bytes[cursor..<index])[...]
                cursor = index + 2
                return line
            }
            if index - cursor >= maxLineBytes { throw RESPProtocolError(reason: "line longer than \(maxLineBytes) bytes") }
            index += 1
        }
        if bytes.count - cursor > maxLineBytes { throw RESPProtocolError(reason: "line longer than \(maxLineBytes) bytes") }
        return nil
    }

    /// A signed decimal with no sign other than a leading `-`, no spaces, fitting Int64.
    private static func decimal(_ line: ArraySlice<UInt8>) -> Int64? {
        var digits = line[...]
        var negative = false
        if digits.first == UInt8(ascii: "-") { negative = true; digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 19 else { return nil }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= 48, byte <= 57 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(byte - 48))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return negative ? -value : value
    }
}
