#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The one JSON form of Warden's records: what `events.jsonl`, the history and the `json` notifications
/// hold. Sorted keys, `/` unescaped, no trailing newline.
public enum EventJSON {
    /// A new encoder with Warden's output formatting (an encoder is not safe to share between threads).
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// `value` encoded as Warden encodes records; `nil` only when it cannot be (a non-finite number).
    public static func bytes(_ value: some Encodable) -> [UInt8]? {
        (try? encoder().encode(value)).map { Array($0) }
    }
}
