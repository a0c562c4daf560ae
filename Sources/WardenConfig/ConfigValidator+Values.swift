import TOMLKit
import WardenCore

/// Reading and suggesting config values: durations, sizes, blanks, bare numbers.
extension ConfigValidator {
    /// The known key that `key` is probably a misspelling of: same words with other case or `-`, or at
    /// most two edits away (one for keys of up to four letters) — never one that differs by a word naming
    /// another thing (`vms_max` is not `rss_max`: `ForeignKeys.distinctWords`).
    static func suggestion(for key: String, among allowed: [String]) -> String? {
        let normalized = key.lowercased().replacingDashes()
        if let match = allowed.first(where: { $0 == normalized }) { return match }
        let budget = key.count <= 4 ? 1 : 2
        let ranked = allowed.map { ($0, EditDistance.between(normalized, $0)) }
            .filter { $0.1 <= budget && !ForeignKeys.differInMeaning(normalized, $0.0) }
        return ranked.min { $0.1 < $1.1 }?.0
    }

    /// Why `name` cannot name a program, or `nil` when it can.
    ///
    /// Names are `[A-Za-z0-9_.-]+` (instance names add `:INDEX`). Also refused: `.` and `..`, because
    /// names become log file names in `state_dir`; a leading `-`, which the CLI would take for an option;
    /// and `all`, which control commands read as "every program".
    static func programNameProblem(_ name: String) -> String? {
        let allowed = !name.isEmpty && name.utf8.allSatisfy { byte in
            (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
        }
        let quoted = TOMLText.quoted(name)
        if !allowed { return "invalid program name \(quoted); use only letters, digits, \"_\", \".\" and \"-\"" }
        if name == "." || name == ".." { return "invalid program name \(quoted); it is used as a file name" }
        if name.hasPrefix("-") { return "invalid program name \(quoted); it must not start with \"-\"" }
        if name == "all" { return "program name \"all\" is reserved: control commands use it for every program" }
        if name.count > ProgramNames.maxLength {
            return "program name \(ProgramNames.clipped(name)) is \(name.count) characters; at most \(ProgramNames.maxLength)"
        }
        return nil
    }

    // MARK: Values

    /// `string "2"`, `integer 2`, `array`: what was found, for "expected X, got Y".
    static func describe(_ value: TOMLValueConvertible) -> String {
        switch value.type {
        case .string: return "string \(TOMLText.quoted(value.string ?? ""))"
        case .int: return "integer \(value.int ?? 0)"
        case .double: return "floating-point number \(value.double.map { String($0) } ?? "")"
        case .bool: return "boolean \(value.bool ?? false)"
        case .array: return "array"
        case .table: return "table"
        case .date, .time, .dateTime: return value.type.description
        }
    }

    /// Seconds a duration text stands for, estimated with `DurationText`'s grammar (number, unit,
    /// repeated); unknown parts count as zero, as `DurationText.parse` rejects them anyway.
    ///
    /// - Note: Checked before `DurationText.parse`, which traps converting more than ~292 years to
    ///   `Int64` nanoseconds (`"200000d"`).
    static func roughSeconds(_ text: String) -> Double {
        var total = 0.0
        var scalars = Substring(text).unicodeScalars[...]
        while !scalars.isEmpty {
            let number = scalars.prefix { ("0"..."9").contains($0) || $0 == "." }
            scalars = scalars.dropFirst(number.count)
            let unit = scalars.prefix { ("a"..."z").contains($0) || ("A"..."Z").contains($0) }
            scalars = scalars.dropFirst(unit.count)
            if number.isEmpty, unit.isEmpty { break }
            let multiplier: Double
            switch String(String.UnicodeScalarView(unit)) {
            case "s": multiplier = 1
            case "m", "min": multiplier = 60
            case "h": multiplier = 3600
            case "d": multiplier = 86400
            default: multiplier = 0
            }
            total += (Double(String(String.UnicodeScalarView(number))) ?? 0) * multiplier
        }
        return total
    }

    /// `text` without its spaces and tabs, or `nil` when it has none (or nothing else).
    /// `"10seconds"` → `"10s"`, `"1minute"` → `"1m"`: the written-out unit words people use, mapped to
    /// Warden's units (the number is kept as written). Text without such a word is returned unchanged.
    static func durationSuggestion(_ text: String) -> String {
        let words: [(String, String)] = [
            ("milliseconds", "ms"), ("millisecond", "ms"), ("msec", "ms"), ("seconds", "s"), ("second", "s"),
            ("secs", "s"), ("sec", "s"), ("minutes", "m"), ("minute", "m"), ("mins", "m"), ("hours", "h"),
            ("hour", "h"), ("hrs", "h"), ("hr", "h"), ("days", "d"), ("day", "d"),
        ]
        for (word, unit) in words where text.lowercased().hasSuffix(word) {
            return String(text.dropLast(word.count)) + unit
        }
        return text
    }

    static func withoutBlanks(_ text: String) -> String? {
        let kept = text.filter { $0 != " " && $0 != "\t" }
        return kept.count == text.count || kept.isEmpty ? nil : kept
    }

    /// `100` or `2.5` as written, for values that needed a unit.
    static func bareNumberText(_ value: TOMLValueConvertible) -> String? {
        if let integer = value.int { return String(integer) }
        if let double = value.double, double.isFinite { return TOMLText.number(double) }
        return nil
    }

    mutating func signal(_ value: TOMLValueConvertible, at path: [String]) -> SignalName? {
        guard let text = string(value, at: path) else { return nil }
        guard let signal = SignalName(parsing: text) else {
            let names = SignalName.allCases.map(\.rawValue).joined(separator: ", ")
            report(path, "unknown signal \(TOMLText.quoted(text)); use one of \(names) (with or without \"SIG\")")
            return nil
        }
        return signal
    }

    /// One of the raw values of `Choice`.
    mutating func choice<Choice: RawRepresentable & CaseIterable>(_ value: TOMLValueConvertible, at path: [String]) -> Choice?
    where Choice.RawValue == String {
        guard let text = string(value, at: path) else { return nil }
        guard let choice = Choice(rawValue: text) else {
            let names = Choice.allCases.map { TOMLText.quoted($0.rawValue) }
            let list = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names.last! : names.joined()
            report(path, "invalid value \(TOMLText.quoted(text)); expected \(list)")
            return nil
        }
        return choice
    }

    /// A path string, resolved against the config file's directory.
    mutating func path(_ value: TOMLValueConvertible, at path: [String]) -> String? {
        guard let text = string(value, at: path),
              usablePath(text, at: path, whenEmpty: "write \".\" for the config file's directory")
        else { return nil }
        return LexicalPath.resolve(text, against: baseDirectory)
    }

    /// Whether `text` can be a path: not empty (`whenEmpty` says what to write instead), no NUL, no `~`
    /// (not expanded). Reports the problem at `path` when not.
    mutating func usablePath(_ text: String, at path: [String], whenEmpty: String) -> Bool {
        if text.isEmpty {
            report(path, "must not be empty; \(whenEmpty)")
            return false
        }
        if text.contains("\0") {
            report(path, "must not contain a NUL character")
            return false
        }
        if text == "~" || text.hasPrefix("~/") {
            report(path, "\"~\" is not expanded; write an absolute path, or one relative to the config file's directory")
            return false
        }
        return true
    }

    /// An argv: a non-empty array of strings whose first element is not empty.
    mutating func command(_ value: TOMLValueConvertible, at path: [String]) -> [String]? {
        guard let array = value.array else {
            var hint = ""
            if let text = value.string {
                let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { TOMLText.quoted(String($0)) }
                hint = "; the command is an argv run without a shell, write [\(words.joined(separator: ", "))]"
            }
            mismatch(path, expected: "array of strings", got: value, hint: hint)
            return nil
        }
        guard !array.isEmpty else {
            report(path, "must not be empty; give at least the program to run")
            return nil
        }
        var argv: [String] = []
        var valid = true
        for (position, element) in array.enumerated() {
            if let text = element.string {
                if text.contains("\0") {
                    // execve(2) takes C strings: the argument would be cut at the NUL at run time.
                    report(path, "element \(position) must not contain a NUL character")
                    valid = false
                }
                argv.append(text)
            } else {
                let hint = Self.bareNumberText(element).map { "; quote it: \"\($0)\"" } ?? ""
                report(path, "expected array of strings, but element \(position) is \(Self.describe(element))\(hint)")
                valid = false
            }
        }
        if valid, argv[0].isEmpty {
            report(path, "element 0 (the program to run) must not be empty")
            valid = false
        }
        if valid, argv.contains(where: { $0.contains("\0") }) {
            report(path, "arguments must not contain a NUL character")
            valid = false
        }
        return valid ? argv : nil
    }

    /// A table of string values with names usable as environment variables.
    mutating func environment(_ value: TOMLValueConvertible, at path: [String]) -> [String: String]? {
        guard let table = table(value, at: path, hint: "; write e.g. environment = { APP_ENV = \"prod\" }") else { return nil }
        var variables: [String: String] = [:]
        var valid = true
        for name in table.keys.sorted() {
            guard let element = table[name] else { continue }
            if name.isEmpty || name.contains("=") || name.contains("\0") {
                report(path + [name], "invalid environment variable name; it must be non-empty and contain no \"=\"")
                valid = false
                continue
            }
            guard let text = element.string else {
                let hint = Self.bareNumberText(element).map { "; quote it: \"\($0)\"" }
                    ?? element.bool.map { "; quote it: \"\($0)\"" } ?? ""
                mismatch(path + [name], expected: "string", got: element, hint: hint)
                valid = false
                continue
            }
            if text.contains("\0") {
                report(path + [name], "must not contain a NUL character")
                valid = false
                continue
            }
            variables[name] = text
        }
        return valid ? variables : nil
    }
}

extension String {
    /// `start-seconds` → `start_seconds`.
    func replacingDashes() -> String {
        String(map { $0 == "-" ? "_" : $0 })
    }
}
