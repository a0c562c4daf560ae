import TOMLKit
import WardenCore
import WardenPluginProtocol

/// Validation of the `[collectors.NAME]` tables (see `CollectorConfiguration`).
///
/// The `config` table may hold credentials, so no diagnostic about a collector ever quotes a string value
/// of the collector's section: problems in `config` name the key only.
extension ConfigValidator {
    static let collectorKeys = ["plugin", "interval", "timeout", "config", "thresholds"]
    static let collectorThresholdKeys = [
        "high_usage", "high_usage_checks", "exhaustion", "leak_growth", "leak_checks", "leak_flat_checks", "leak_min_connections",
        "long_running",
    ]
    static let checksRange = 1...100
    static let flatChecksRange = 0...100
    static let minConnectionsRange = 1...1_000_000

    /// Validates the `collectors` table of `root`, if any.
    /// - Returns: the valid collectors, sorted by name; meaningful only if `diagnostics` is empty.
    mutating func validateCollectors(in root: TOMLTable) -> [CollectorConfiguration] {
        namedTables(in: root, key: "collectors", noun: "collector").compactMap { validateCollector(name: $0.name, $0.table) }
    }

    /// The `[KEY.NAME]` tables of `root`, sorted by name; a `KEY` or `KEY.NAME` that is not a table is reported
    /// without showing its value.
    mutating func namedTables(in root: TOMLTable, key: String, noun: String) -> [(name: String, table: TOMLTable)] {
        guard let value = root[key],
              let table = valueFreeTable(value, at: [key], hint: "; write one [\(key).NAME] table per \(noun)")
        else { return [] }
        return table.keys.sorted().compactMap { name in
            guard let inner = table[name],
                  let innerTable = valueFreeTable(inner, at: [key, name], hint: "; write [\(key).\(TOMLText.key(name))]")
            else { return nil }
            return (name, innerTable)
        }
    }

    /// - Returns: `nil` when the collector cannot be built (bad name, no usable plugin).
    mutating func validateCollector(name: String, _ table: TOMLTable) -> CollectorConfiguration? {
        let path = ["collectors", name]
        var valid = true
        if let problem = Self.collectorNameProblem(name) {
            report(path, problem)
            valid = false
        }
        rejectUnknownKeys(in: table, at: path, allowed: Self.collectorKeys)

        var collector = CollectorConfiguration(name: name, plugin: "")
        if let value = table["plugin"] {
            if let plugin = plugin(value, at: path + ["plugin"]) { collector.plugin = plugin } else { valid = false }
        } else {
            report(path + ["plugin"], "missing required key; write e.g. plugin = \"warden-collector-\(name)\"")
            valid = false
        }
        var intervalValid = true
        if let value = table["interval"] {
            if let interval = duration(value, at: path + ["interval"], positive: true) {
                collector.interval = interval
            } else {
                intervalValid = false
            }
        }
        collector.timeout = collector.interval / 2
        if let value = table["timeout"], let timeout = duration(value, at: path + ["timeout"], positive: true) {
            if intervalValid, timeout >= collector.interval {
                let note = table["interval"] != nil ? "" : ", the default"
                report(
                    path + ["timeout"],
                    "must be less than interval (\(DurationText.format(collector.interval))\(note)), got "
                        + DurationText.format(timeout))
            } else {
                collector.timeout = timeout
            }
        }
        if let value = table["config"] {
            if let config = pluginConfig(value, at: path + ["config"]) { collector.config = config } else { valid = false }
        }
        if let value = table["thresholds"],
            let thresholdsTable = valueFreeTable(value, at: path + ["thresholds"], hint: "; write [collectors.\(TOMLText.key(name)).thresholds]")
        {
            collector.thresholds = validateThresholds(thresholdsTable, at: path + ["thresholds"])
        }
        return valid ? collector : nil
    }

    mutating func validateThresholds(_ table: TOMLTable, at path: [String]) -> PoolThresholds {
        rejectUnknownKeys(in: table, at: path, allowed: Self.collectorThresholdKeys)
        var thresholds = PoolThresholds()
        var usageValid = true
        if let value = table["high_usage"] {
            if let fraction = fraction(value, at: path + ["high_usage"]) { thresholds.highUsage = fraction } else { usageValid = false }
        }
        if let value = table["exhaustion"] {
            if let fraction = fraction(value, at: path + ["exhaustion"]) { thresholds.exhaustion = fraction } else { usageValid = false }
        }
        if usageValid, thresholds.exhaustion < thresholds.highUsage {
            let (high, exhausted) = (TOMLText.number(thresholds.highUsage), TOMLText.number(thresholds.exhaustion))
            if table["exhaustion"] != nil {
                let note = table["high_usage"] != nil ? "" : ", the default"
                report(path + ["exhaustion"], "must be >= high_usage (\(high)\(note)), got \(exhausted)")
            } else {
                report(path + ["high_usage"], "must be <= exhaustion (\(exhausted), the default), got \(high)")
            }
        }
        if let value = table["high_usage_checks"], let checks = integer(value, at: path + ["high_usage_checks"], in: Self.checksRange) {
            thresholds.highUsageChecks = checks
        }
        if let value = table["leak_growth"], let growth = fraction(value, at: path + ["leak_growth"]) {
            thresholds.leakGrowth = growth
        }
        if let value = table["leak_checks"], let checks = integer(value, at: path + ["leak_checks"], in: Self.checksRange) {
            thresholds.leakChecks = checks
        }
        if let value = table["leak_flat_checks"],
            let checks = integer(value, at: path + ["leak_flat_checks"], in: Self.flatChecksRange)
        {
            thresholds.leakFlatChecks = checks
        }
        if let value = table["leak_min_connections"],
            let count = integer(value, at: path + ["leak_min_connections"], in: Self.minConnectionsRange)
        {
            thresholds.leakMinConnections = count
        }
        if let value = table["long_running"], let limit = duration(value, at: path + ["long_running"], positive: true) {
            thresholds.longRunning = limit
        }
        return thresholds
    }

    // MARK: Values

    /// Why `name` cannot name a collector, or `nil` when it can: the same alphabet as program names
    /// (`[A-Za-z0-9_.-]+`, not `.`/`..`, no leading `-`).
    static func collectorNameProblem(_ name: String) -> String? { nameProblem(name, noun: "collector") }

    /// Why `name` cannot name a table of `noun`s (used in file names, labels and logs): only letters, digits,
    /// `_`, `.` and `-`, not `.` or `..`, not starting with `-`.
    static func nameProblem(_ name: String, noun: String) -> String? {
        let allowed = !name.isEmpty && name.utf8.allSatisfy { byte in
            (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
        }
        let quoted = TOMLText.quoted(name)
        if !allowed { return "invalid \(noun) name \(quoted); use only letters, digits, \"_\", \".\" and \"-\"" }
        if name == "." || name == ".." || name.hasPrefix("-") {
            return "invalid \(noun) name \(quoted); it must not be \".\" or \"..\" or start with \"-\""
        }
        return nil
    }

    /// What kind of value `value` is, without showing it (`a string`, `an integer`).
    static func kindOnly(_ value: TOMLValueConvertible) -> String {
        switch value.type {
        case .string: return "a string"
        case .int: return "an integer"
        case .double: return "a floating-point number"
        case .bool: return "a boolean"
        case .array: return "an array"
        case .table: return "a table"
        case .date, .time, .dateTime: return "a \(value.type.description)"
        }
    }

    /// A table; a mismatch names the kind found but never its value.
    mutating func valueFreeTable(_ value: TOMLValueConvertible, at path: [String], hint: String = "") -> TOMLTable? {
        guard let table = value.table else {
            report(path, "expected table, got \(Self.kindOnly(value))\(hint)")
            return nil
        }
        return table
    }

    /// `plugin`: a non-empty executable name, or a path (resolved against the config file's directory).
    mutating func plugin(_ value: TOMLValueConvertible, at path: [String]) -> String? {
        guard let text = value.string else {
            report(path, "expected string (an executable name or path), got \(Self.kindOnly(value))")
            return nil
        }
        guard usablePath(text, at: path, whenEmpty: "write e.g. plugin = \"warden-collector-postgres\"") else { return nil }
        return text.contains("/") ? LexicalPath.resolve(text, against: baseDirectory) : text
    }

    /// A fraction in (0, 1], integer or floating-point.
    mutating func fraction(_ value: TOMLValueConvertible, at path: [String]) -> Double? {
        let number: Double
        if let integer = value.int {
            number = Double(integer)
        } else if let double = value.double {
            number = double
        } else {
            let hint = value.string.flatMap { Double($0) }.map { "; write \(TOMLText.number($0)) without quotes" } ?? ""
            report(path, "expected number (a fraction in (0, 1]), got \(Self.kindOnly(value))\(hint)")
            return nil
        }
        guard number.isFinite, number > 0, number <= 1 else {
            let hint = number > 1 && number <= 100 ? "; write \(TOMLText.number(number / 100)) for \(TOMLText.number(number)) %" : ""
            report(path, "must be a fraction in (0, 1], got \(TOMLText.number(number))\(hint)")
            return nil
        }
        return number
    }

    /// `config`: a table of any TOML values, converted to JSON. Problems name the key, never a value.
    mutating func pluginConfig(_ value: TOMLValueConvertible, at path: [String]) -> JSONValue? {
        guard value.table != nil else {
            report(path, "expected table, e.g. config = { url = \"postgres://monitor@127.0.0.1:5432/postgres\" }, got "
                + "\(Self.kindOnly(value)) (not shown: it may hold credentials)")
            return nil
        }
        return json(value, at: path)
    }

    /// Any TOML value as JSON; dates, times and non-finite numbers are reported (by key) and refused.
    mutating func json(_ value: TOMLValueConvertible, at path: [String], element: Int? = nil) -> JSONValue? {
        let place = element.map { "element \($0) " } ?? ""
        switch value.type {
        case .string: return value.string.map(JSONValue.string)
        case .bool: return value.bool.map(JSONValue.bool)
        case .int: return value.int.map { JSONValue.number(Double($0)) }
        case .double:
            guard let double = value.double, double.isFinite else {
                report(path, "\(place)must be a finite number: JSON has no inf or nan")
                return nil
            }
            return .number(double)
        case .date, .time, .dateTime:
            report(path, "\(place)is a TOML \(value.type.description), which the plugin protocol (JSON) cannot carry; quote it as a string")
            return nil
        case .array:
            guard let array = value.array else { return nil }
            var elements: [JSONValue] = []
            var valid = true
            for (position, item) in array.enumerated() {
                if let converted = json(item, at: path, element: position) { elements.append(converted) } else { valid = false }
            }
            return valid ? .array(elements) : nil
        case .table:
            guard let table = value.table else { return nil }
            var fields: [String: JSONValue] = [:]
            var valid = true
            for key in table.keys.sorted() {
                guard let item = table[key] else { continue }
                if let converted = json(item, at: path + [key]) { fields[key] = converted } else { valid = false }
            }
            return valid ? .object(fields) : nil
        }
    }
}
