/// Lines of the keys and table headers in a TOML text, by key path.
///
/// TOMLKit reports positions only for syntax errors (platform-notes §4), so the validator looks up the
/// line of a wrong-typed or unknown key here. The scanner is a small TOML lexer that knows enough to
/// stay in sync: table headers (`[a.b]`, `[[a.b]]`), dotted and quoted keys, inline tables (nested, on
/// one line or several), arrays spanning lines, all four string forms and comments. It runs only on
/// text TOMLKit accepted, never fails, and ignores array-of-table indices (the first occurrence of a
/// path wins).
///
/// Implicit tables get the line where they first appear: `[programs.api.leak]` gives `programs` and
/// `programs.api` its line unless they appeared earlier.
struct KeyLineIndex {
    private var lines: [[String]: Int]

    /// Scans `text` once, O(length).
    init(scanning text: String) {
        var scanner = Scanner(bytes: Array(text.utf8))
        scanner.scanDocument()
        lines = scanner.lines
    }

    /// The line where `path` itself is written, or `nil`.
    func exactLine(of path: [String]) -> Int? { lines[path] }

    /// The line of `path`, or of its longest written ancestor (the table a missing key belongs in).
    func line(of path: [String]) -> Int? {
        var length = path.count
        while length > 0 {
            if let line = lines[Array(path[..<length])] { return line }
            length -= 1
        }
        return nil
    }
}

/// The lexer behind `KeyLineIndex`; bytes in, key paths with lines out.
private struct Scanner {
    let bytes: [UInt8]
    var index = 0
    var line = 1
    var lines: [[String]: Int] = [:]

    init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }  // UTF-8 byte order mark
    }

    private static let newline = UInt8(ascii: "\n")

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    func peek(_ offset: Int) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    mutating func advance() {
        guard index < bytes.count else { return }
        if bytes[index] == Self.newline { line += 1 }
        index += 1
    }

    /// Records `path` and every ancestor not seen yet at `line`.
    mutating func record(_ path: [String], at line: Int) {
        guard !path.isEmpty else { return }
        for length in 1...path.count {
            let prefix = Array(path[..<length])
            if lines[prefix] == nil { lines[prefix] = line }
        }
    }

    mutating func scanDocument() {
        var table: [String] = []
        while current != nil {
            skipBlanks()
            guard let byte = current else { break }
            switch byte {
            case Self.newline:
                advance()
            case UInt8(ascii: "#"):
                skipToEndOfLine()
            case UInt8(ascii: "["):
                let headerLine = line
                advance()
                if current == UInt8(ascii: "[") { advance() }
                table = parseKey()
                record(table, at: headerLine)
                skipToEndOfLine()
            default:
                let keyLine = line
                let key = parseKey()
                guard !key.isEmpty else {
                    skipToEndOfLine()
                    continue
                }
                record(table + key, at: keyLine)
                skipBlanks()
                if current == UInt8(ascii: "=") {
                    advance()
                    skipBlanks()
                    parseValue(path: table + key)
                }
                skipToEndOfLine()
            }
        }
    }

    /// Spaces, tabs and carriage returns.
    mutating func skipBlanks() {
        while let byte = current, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") {
            advance()
        }
    }

    /// Blanks, newlines and comments, as allowed between array elements.
    mutating func skipBlanksNewlinesAndComments() {
        while true {
            skipBlanks()
            if current == Self.newline {
                advance()
            } else if current == UInt8(ascii: "#") {
                skipToEndOfLine()
            } else {
                return
            }
        }
    }

    /// Moves to the next newline (not consuming it).
    mutating func skipToEndOfLine() {
        while let byte = current, byte != Self.newline { advance() }
    }

    static func isBareKeyByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "-")
    }

    /// A possibly dotted key: `a`, `a.b`, `"a b".'c'`. Empty when no key starts here.
    mutating func parseKey() -> [String] {
        var parts: [String] = []
        while true {
            skipBlanks()
            guard let byte = current else { break }
            if byte == UInt8(ascii: "\"") {
                parts.append(parseBasicString())
            } else if byte == UInt8(ascii: "'") {
                parts.append(parseLiteralString())
            } else if Self.isBareKeyByte(byte) {
                let start = index
                while let next = current, Self.isBareKeyByte(next) { advance() }
                parts.append(String(decoding: bytes[start..<index], as: UTF8.self))
            } else {
                break
            }
            skipBlanks()
            guard current == UInt8(ascii: ".") else { break }
            advance()
        }
        return parts
    }

    /// Skips any value; records the keys of inline tables under `path`.
    mutating func parseValue(path: [String]) {
        guard let byte = current else { return }
        switch byte {
        case UInt8(ascii: "\""):
            if peek(1) == byte, peek(2) == byte { skipMultilineString(quote: byte, escapes: true) } else { _ = parseBasicString() }
        case UInt8(ascii: "'"):
            if peek(1) == byte, peek(2) == byte { skipMultilineString(quote: byte, escapes: false) } else { _ = parseLiteralString() }
        case UInt8(ascii: "["):
            advance()
            while true {
                skipBlanksNewlinesAndComments()
                guard let next = current else { return }
                if next == UInt8(ascii: "]") {
                    advance()
                    return
                }
                let start = index
                parseValue(path: path)
                skipBlanksNewlinesAndComments()
                if current == UInt8(ascii: ",") { advance() }
                if index == start { advance() }
            }
        case UInt8(ascii: "{"):
            advance()
            while true {
                skipBlanksNewlinesAndComments()
                guard let next = current else { return }
                if next == UInt8(ascii: "}") {
                    advance()
                    return
                }
                let start = index
                let keyLine = line
                let key = parseKey()
                if !key.isEmpty {
                    record(path + key, at: keyLine)
                    skipBlanks()
                    if current == UInt8(ascii: "=") {
                        advance()
                        skipBlanks()
                        parseValue(path: path + key)
                    }
                }
                skipBlanksNewlinesAndComments()
                if current == UInt8(ascii: ",") { advance() }
                if index == start { advance() }
            }
        default:
            // Numbers, booleans, dates (which may contain a space): up to a delimiter.
            while let next = current, next != UInt8(ascii: ","), next != UInt8(ascii: "]"), next != UInt8(ascii: "}"),
                next != Self.newline, next != UInt8(ascii: "#")
            {
                advance()
            }
        }
    }

    /// A one-line `"..."` string with escapes decoded; stops at the closing quote or the line's end.
    mutating func parseBasicString() -> String {
        advance()
        var decoded: [UInt8] = []
        while let byte = current, byte != Self.newline {
            advance()
            if byte == UInt8(ascii: "\"") { break }
            guard byte == UInt8(ascii: "\\"), let escaped = current else {
                decoded.append(byte)
                continue
            }
            advance()
            switch escaped {
            case UInt8(ascii: "n"): decoded.append(UInt8(ascii: "\n"))
            case UInt8(ascii: "t"): decoded.append(UInt8(ascii: "\t"))
            case UInt8(ascii: "r"): decoded.append(UInt8(ascii: "\r"))
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "e"): decoded.append(0x1B)
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                let count = escaped == UInt8(ascii: "u") ? 4 : 8
                var hex: [UInt8] = []
                while hex.count < count, let digit = current, digit != Self.newline {
                    hex.append(digit)
                    advance()
                }
                if let value = UInt32(String(decoding: hex, as: UTF8.self), radix: 16), let scalar = Unicode.Scalar(value) {
                    decoded.append(contentsOf: Array(String(Character(scalar)).utf8))
                }
            default: decoded.append(escaped)  // \" \\ and anything else
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// A one-line `'...'` string, taken literally.
    mutating func parseLiteralString() -> String {
        advance()
        let start = index
        while let byte = current, byte != Self.newline, byte != UInt8(ascii: "'") { advance() }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if current == UInt8(ascii: "'") { advance() }
        return text
    }

    /// A `"""..."""` or `'''...'''` string, which may span lines and end with up to two extra quotes.
    mutating func skipMultilineString(quote: UInt8, escapes: Bool) {
        advance()
        advance()
        advance()
        while let byte = current {
            if escapes, byte == UInt8(ascii: "\\") {
                advance()
                advance()
                continue
            }
            if byte == quote, peek(1) == quote, peek(2) == quote {
                advance()
                advance()
                advance()
                var extra = 0
                while extra < 2, current == quote {
                    advance()
                    extra += 1
                }
                return
            }
            advance()
        }
    }
}
