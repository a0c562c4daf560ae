/// One datagram of systemd's notify protocol (sd_notify(3)): newline-separated `KEY=VALUE` assignments,
/// e.g. `READY=1\nSTATUS=Serving 12 clients`.
///
/// Parsing is strict, as a supervisor must be with input from any local process: the datagram must be
/// valid UTF-8, at most `maximumBytes` long, and every non-empty line must contain `=` with a non-empty
/// key of `A-Z`, `0-9` and `_`. A datagram breaking any rule is rejected whole (nothing of it applies).
/// Unknown keys are kept (systemd ignores them too); the interpretation is `NotifyCommand`.
public struct NotifyMessage: Sendable, Equatable {
    /// The assignments in datagram order (a key may repeat; the last one wins when interpreted).
    public var assignments: [(key: String, value: String)]

    /// Largest datagram accepted, bytes. systemd's own manager accepts up to 4096 bytes (PIPE_BUF).
    public static let maximumBytes = 4096

    /// Why a datagram was dropped.
    public enum Rejection: Error, Sendable, Equatable {
        case empty
        case oversized(bytes: Int)
        case notUTF8
        /// A line without `=` or with an invalid key; `line` is 1-based.
        case malformedLine(line: Int)
    }

    public init(assignments: [(key: String, value: String)]) { self.assignments = assignments }

    /// Parses raw datagram bytes.
    /// - Throws: `Rejection` for an empty, oversized, non-UTF-8 or malformed datagram.
    public static func parse(_ bytes: some Collection<UInt8>) throws(Rejection) -> NotifyMessage {
        if bytes.isEmpty { throw .empty }
        if bytes.count > maximumBytes { throw .oversized(bytes: bytes.count) }
        // String(validating:) refuses ill-formed UTF-8 instead of repairing it.
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .notUTF8 }
        var result: [(key: String, value: String)] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty { continue }
            guard let equals = line.firstIndex(of: "="), equals != line.startIndex else {
                throw .malformedLine(line: number + 1)
            }
            let key = line[..<equals]
            guard key.utf8.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }) else {
                throw .malformedLine(line: number + 1)
            }
            result.append((String(key), String(line[line.index(after: equals)...])))
        }
        if result.isEmpty { throw .empty }
        return NotifyMessage(assignments: result)
    }

    /// The last value of `key`, or `nil`.
    public func value(of key: String) -> String? {
        assignments.last(where: { $0.key == key })?.value
    }

    public static func == (a: NotifyMessage, b: NotifyMessage) -> Bool {
        a.assignments.elementsEqual(b.assignments) { $0.key == $1.key && $0.value == $1.value }
    }
}
