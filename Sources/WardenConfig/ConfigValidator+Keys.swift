import TOMLKit
import WardenCore

/// The key readers of `ConfigValidator`: unknown keys, and one typed reader per value kind (string,
/// boolean, integer in a range, number with a unit, duration, size), each reporting a mismatch as a
/// `Diagnostic` at the key's path and returning `nil`.
extension ConfigValidator {
    /// Reports every key of `table` that is not in `allowed`, suggesting a close known key.
    mutating func rejectUnknownKeys(in table: TOMLTable, at path: [String], allowed: [String]) {
        for key in table.keys.sorted() where !allowed.contains(key) {
            if let hint = ForeignKeys.table(at: path)?[key.lowercased()] {
                report(path + [key], "unknown key \(TOMLText.quoted(key)); \(hint)")
            } else if let suggestion = Self.suggestion(for: key, among: allowed) {
                report(path + [key], "unknown key \(TOMLText.quoted(key)); did you mean \(TOMLText.quoted(suggestion))?")
            } else {
                report(path + [key], "unknown key \(TOMLText.quoted(key)); expected one of: \(allowed.joined(separator: ", "))")
            }
        }
    }


    mutating func mismatch(_ path: [String], expected: String, got value: TOMLValueConvertible, hint: String = "") {
        report(path, "expected \(expected), got \(Self.describe(value))\(hint)")
    }

    mutating func table(_ value: TOMLValueConvertible, at path: [String], hint: String = "") -> TOMLTable? {
        guard let table = value.table else {
            mismatch(path, expected: "table", got: value, hint: hint)
            return nil
        }
        return table
    }

    mutating func string(_ value: TOMLValueConvertible, at path: [String]) -> String? {
        guard let text = value.string else {
            mismatch(path, expected: "string", got: value)
            return nil
        }
        return text
    }

    mutating func boolean(_ value: TOMLValueConvertible, at path: [String]) -> Bool? {
        guard let flag = value.bool else {
            let hint = value.string.map { ["true", "false"].contains($0.lowercased()) ? "; write \($0.lowercased()) without quotes" : "" } ?? ""
            mismatch(path, expected: "boolean (true or false)", got: value, hint: hint)
            return nil
        }
        return flag
    }

    /// An integer in `range`.
    mutating func integer(_ value: TOMLValueConvertible, at path: [String], in range: ClosedRange<Int>) -> Int? {
        guard let number = value.int else {
            let hint = value.string.flatMap { Int($0) }.map { "; write \($0) without quotes" } ?? ""
            mismatch(path, expected: "integer", got: value, hint: hint)
            return nil
        }
        guard range.contains(number) else {
            if range.upperBound == .max {
                report(path, "must be >= \(range.lowerBound), got \(number)")
            } else {
                report(path, "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
            }
            return nil
        }
        return number
    }

    /// A finite number >= 0, integer or floating-point.
    mutating func number(_ value: TOMLValueConvertible, at path: [String], unit: String) -> Double? {
        let number: Double
        if let integer = value.int {
            number = Double(integer)
        } else if let double = value.double {
            number = double
        } else {
            let hint = value.string.flatMap { Double($0) }.map { "; write \(TOMLText.number($0)) without quotes (\(unit))" } ?? ""
            mismatch(path, expected: "number (\(unit))", got: value, hint: hint)
            return nil
        }
        guard number.isFinite, number >= 0 else {
            report(path, "must be a finite number >= 0 (\(unit)), got \(TOMLText.number(number))")
            return nil
        }
        return number
    }

    /// A duration string (`"10s"`); a bare number gets `DurationText`'s "has no unit" message.
    mutating func duration(_ value: TOMLValueConvertible, at path: [String], positive: Bool = false) -> Duration? {
        let text: String
        if let string = value.string {
            text = string
        } else if let bare = Self.bareNumberText(value) {
            text = bare
        } else {
            mismatch(path, expected: "duration string such as \"10s\"", got: value)
            return nil
        }
        if let spaceless = Self.withoutBlanks(text) {
            report(path, "duration \(TOMLText.quoted(text)) must not contain spaces; write \(TOMLText.quoted(Self.durationSuggestion(spaceless)))")
            return nil
        }
        if Self.roughSeconds(text) > Self.maximumDurationSeconds {
            report(path, "duration \(TOMLText.quoted(text)) is too large; the maximum is \"3650d\"")
            return nil
        }
        do {
            let duration = try DurationText.parse(text)
            if positive, duration <= .zero {
                report(path, "must be greater than zero, got \(TOMLText.quoted(text))")
                return nil
            }
            return duration
        } catch {
            report(path, error.description)
            return nil
        }
    }

    /// A size string (`"100MB"`) greater than zero; a bare number gets `ByteSize`'s "has no unit" message.
    mutating func size(_ value: TOMLValueConvertible, at path: [String]) -> ByteSize? {
        let text: String
        if let string = value.string {
            text = string
        } else if let bare = Self.bareNumberText(value) {
            text = bare
        } else {
            mismatch(path, expected: "size string such as \"100MB\"", got: value)
            return nil
        }
        if let spaceless = Self.withoutBlanks(text) {
            report(path, "size \(TOMLText.quoted(text)) must not contain spaces; write \(TOMLText.quoted(spaceless))")
            return nil
        }
        do {
            let size = try ByteSize.parse(text)
            guard size.bytes > 0 else {
                report(path, "must be greater than zero, got \(TOMLText.quoted(text))")
                return nil
            }
            return size
        } catch {
            report(path, error.description)
            return nil
        }
    }

    /// Ten years: more than any timeout needs, far below `Duration`'s nanosecond range.
    static let maximumDurationSeconds: Double = 3650 * 86400
}
