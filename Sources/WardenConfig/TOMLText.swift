/// Formatting of TOML key paths and values for diagnostics.
enum TOMLText {
    /// `programs.api.leak.rss_max`; components that are not bare keys are quoted, as TOML would need.
    static func keyPath(_ path: [String]) -> String {
        path.map(key).joined(separator: ".")
    }

    /// One key component: bare when it may be (`[A-Za-z0-9_-]+`), else a basic string.
    static func key(_ component: String) -> String {
        let bare = !component.isEmpty && component.utf8.allSatisfy { byte in
            (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        return bare ? component : quoted(component, limit: .max)
    }

    /// A TOML basic string literal for `text`, shortened with `…` past `limit` characters.
    static func quoted(_ text: String, limit: Int = 60) -> String {
        var body = ""
        for (offset, character) in text.enumerated() {
            if offset == limit {
                body += "…"
                break
            }
            switch character {
            case "\"": body += "\\\""
            case "\\": body += "\\\\"
            case "\n": body += "\\n"
            case "\t": body += "\\t"
            case "\r": body += "\\r"
            default: body.append(character)
            }
        }
        return "\"" + body + "\""
    }

    /// `3`, `2.5`: a threshold as a person would write it.
    static func number(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
