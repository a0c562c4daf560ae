/// Removes passwords from text before it goes into an alert, a pool identity or a log line.
///
/// Collectors are asked to report pool identities without credentials and plugin errors without them;
/// this is the second line of defence, applied by `PoolAlertTracker` to everything it stores.
public enum CredentialRedaction {
    /// `text` with the password of every URL (`scheme://user:password@host` → `scheme://user@host`) and
    /// every `password=VALUE` (libpq key/value style, any case) removed.
    ///
    /// A URL's userinfo runs to the last `@` before the next blank or quote, so a password containing
    /// `/`, `:` or `@` is removed whole (over-redacting an `@` in a path rather than leaking).
    public static func redact(_ text: String) -> String {
        redactKeyValuePasswords(redactURLPasswords(text))
    }

    static func isDelimiter(_ character: Character) -> Bool {
        character.isWhitespace || character == "\"" || character == "'" || character == "`" || character == "<"
            || character == ">"
    }

    static func redactURLPasswords(_ text: String) -> String {
        var output = ""
        var rest = Substring(text)
        while let marker = rest.firstRange(of: "://") {
            output += rest[..<marker.upperBound]
            let after = rest[marker.upperBound...]
            let end = after.firstIndex(where: isDelimiter) ?? after.endIndex
            let segment = after[..<end]
            if let at = segment.lastIndex(of: "@") {
                let userinfo = segment[..<at]
                if let colon = userinfo.firstIndex(of: ":") {
                    output += userinfo[..<colon]
                } else {
                    output += userinfo
                }
                output += segment[at...]
            } else {
                output += segment
            }
            rest = after[end...]
        }
        output += rest
        return output
    }

    static func redactKeyValuePasswords(_ text: String) -> String {
        let key = Array("password=")
        let characters = Array(text)
        var output = ""
        var index = 0
        while index < characters.count {
            let matches = index + key.count <= characters.count
                && zip(characters[index..<(index + key.count)], key).allSatisfy { $0.lowercased() == String($1) }
            if matches {
                output += String(characters[index..<(index + key.count)]) + "***"
                index += key.count
                while index < characters.count, !isDelimiter(characters[index]) { index += 1 }
            } else {
                output.append(characters[index])
                index += 1
            }
        }
        return output
    }
}
