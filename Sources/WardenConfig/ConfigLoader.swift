import TOMLKit

/// Reads and validates Warden's TOML config; the only way to obtain a `WardenConfiguration`.
///
/// Called by `warden check`, at start-up and on every reload (SIGHUP). Pure apart from reading the file
/// (and the working directory when the file's path is relative, and `[http]`'s token file). Safe from any
/// thread.
public enum ConfigLoader {
    /// Reads the file at `path` and validates it (see `parse(_:file:)`).
    /// - Parameter path: the config file, absolute or relative to the working directory; diagnostics show
    ///   it exactly as given.
    /// - Throws: `ConfigError` with one line-less diagnostic when the file cannot be read or is not UTF-8,
    ///   otherwise as `parse(_:file:)`.
    public static func load(path: String) throws(ConfigError) -> WardenConfiguration {
        let text: String
        switch ConfigFile.contents(of: path) {
        case .success(let contents): text = contents
        case .failure(let problem):
            throw ConfigError(diagnostics: [Diagnostic(file: path, line: problem.line, key: nil, message: problem.message)])
        }
        return try parse(text, file: path)
    }

    /// A diagnostic at the line of `keyPath` in `text` (the key's table when the key is not written), for
    /// problems found after loading (`warden check`'s warnings).
    public static func diagnostic(file: String, text: String, keyPath: [String], message: String) -> Diagnostic {
        Diagnostic(file: file, line: KeyLineIndex(scanning: text).line(of: keyPath),
                   key: keyPath.isEmpty ? nil : TOMLText.keyPath(keyPath), message: message)
    }

    /// Parses and validates config text.
    ///
    /// Every problem is collected in one pass: syntax errors (only the first, with TOMLKit's line, as
    /// parsing stops there), unknown keys, wrong types, bad durations, sizes, signals and enum values,
    /// out-of-range numbers, `backoff_max < backoff`, empty commands, thresholds out of order and bad
    /// program names, each at the line of the offending key.
    /// - Parameters:
    ///   - text: the TOML document.
    ///   - file: the file the text came from, as diagnostics should name it; relative paths in the config
    ///     (`state_dir`, `directory`) are resolved against its directory (a relative `file` is first made
    ///     absolute against the working directory).
    /// - Returns: the configuration with defaults applied and programs sorted by name. An empty document
    ///   is valid: default `[supervisor]` settings and no programs.
    /// - Throws: `ConfigError` with every diagnostic, sorted by line.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> WardenConfiguration {
        let absoluteFile = LexicalPath.resolve(file, against: file.hasPrefix("/") ? "/" : ConfigFile.workingDirectory())
        if let nul = text.utf8.firstIndex(of: 0) {
            let line = text.utf8[..<nul].count(where: { $0 == UInt8(ascii: "\n") }) + 1
            throw ConfigError(diagnostics: [Diagnostic(file: file, line: line, key: nil, message: "syntax error: NUL character in the file")])
        }
        // TOMLKit hands strings over as C strings: an escaped NUL would silently cut a command or a variable.
        let escapedNULs = EscapedNUL.lines(in: text)
        guard escapedNULs.isEmpty else {
            throw ConfigError(diagnostics: escapedNULs.map {
                Diagnostic(file: file, line: $0, key: nil,
                           message: "syntax error: a NUL character (\\u0000) in a string; commands, paths and the environment cannot hold one")
            })
        }
        // supervisord's [program:x] headers are not TOML: say what Warden writes instead of a syntax error, and
        // go on checking the rest with each header replaced by its Warden form (or a placeholder table).
        let headers = ForeignKeys.sectionHeaders(in: text).map { Diagnostic(file: file, line: $0.line, key: nil, message: $0.message) }
        let text = headers.isEmpty ? text : ForeignKeys.replacingSectionHeaders(in: text)
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            // toml++ phrases these "Error while parsing array: expected comma or closing ']', saw 'r'".
            let position = error.source.begin
            let prefix = "Error while "
            let message = error.description.hasPrefix(prefix)
                ? "syntax error while " + error.description.dropFirst(prefix.count) : "syntax error: " + error.description
            let syntax = Diagnostic(file: file, line: position.line, key: nil, message: "\(message) (column \(position.column))")
            throw ConfigError(diagnostics: (headers + [syntax]).sorted { ($0.line ?? 0) < ($1.line ?? 0) })
        } catch {
            throw ConfigError(diagnostics: headers + [Diagnostic(file: file, line: nil, key: nil, message: "syntax error: \(error)")])
        }

        var validator = ConfigValidator(
            file: file, baseDirectory: LexicalPath.directory(of: absoluteFile), index: KeyLineIndex(scanning: text))
        let (supervisor, programs) = validator.validate(root)
        let collectors = validator.validateCollectors(in: root)
        validator.checkProcessBound(supervisor, programs: programs, collectors: collectors.count)
        let notify = validator.validateNotify(in: root)
        let found = headers + validator.diagnostics.filter { !($0.key ?? "").hasPrefix(ForeignKeys.placeholderPrefix) }
        guard found.isEmpty else {
            let sorted = found.enumerated().sorted { a, b in
                let (lineA, lineB) = (a.element.line ?? 0, b.element.line ?? 0)
                return lineA != lineB ? lineA < lineB : a.offset < b.offset
            }
            throw ConfigError(diagnostics: sorted.map(\.element))
        }
        var configuration = WardenConfiguration(file: absoluteFile, supervisor: supervisor, programs: programs, collectors: collectors)
        configuration.http = validator.http
        configuration.notify = notify
        if let history = validator.history { configuration.history = history }
        return configuration
    }
}

/// Finds `\u0000` and `\U00000000` escapes in basic strings (`"…"`, `"""…"""`): the lines they are on.
/// A scan of the text, not of TOML's grammar: literal strings (`'…'`) and comments are skipped, an escaped
/// backslash (`\\u0000`) is no escape.
enum EscapedNUL {
    static func lines(in text: String) -> [Int] {
        var found: [Int] = []
        let bytes = Array(text.utf8)
        var line = 1
        var index = 0
        var inBasic = false, inLiteral = false, inComment = false
        let quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'"), backslash = UInt8(ascii: "\\")
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") {
                line += 1
                inComment = false   // a string stays open across lines only when multi-line ("""…""")
            } else if inComment {
            } else if inBasic {
                if byte == backslash, index + 1 < bytes.count {
                    let next = bytes[index + 1]
                    let rest = bytes[(index + 2)...]
                    if (next == UInt8(ascii: "u") && rest.starts(with: Array("0000".utf8)))
                        || (next == UInt8(ascii: "U") && rest.starts(with: Array("00000000".utf8))) {
                        if found.last != line { found.append(line) }
                    }
                    index += 2
                    continue
                }
                if byte == quote { inBasic = false }
            } else if inLiteral {
                if byte == apostrophe { inLiteral = false }
            } else if byte == quote {
                inBasic = true
            } else if byte == apostrophe {
                inLiteral = true
            } else if byte == UInt8(ascii: "#") {
                inComment = true
            }
            index += 1
        }
        return found
    }
}
