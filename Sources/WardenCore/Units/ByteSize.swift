/// A size in bytes, as written in Warden's config: `"512KB"`, `"200MB"`, `"1GB"` (powers of 1000) or
/// `"512KiB"`, `"1GiB"` (powers of 1024). `"B"` is bytes.
///
/// A bare number is rejected: unit confusion in memory limits causes restart loops (PM2 issue 2488).
public struct ByteSize: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The size in bytes.
    public var bytes: UInt64

    public init(bytes: UInt64) { self.bytes = bytes }

    public static func < (a: ByteSize, b: ByteSize) -> Bool { a.bytes < b.bytes }

    /// A reason a size string was rejected, phrased for a config diagnostic.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Parses `"200MB"`, `"1.5GiB"`, `"4096B"`.
    /// - Throws: `ParseError` for an empty string, a missing or unknown unit, or a value too large.
    public static func parse(_ text: String) throws(ParseError) -> ByteSize {
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count, ("0"..."9").contains(scalars[i]) || scalars[i] == "." { i += 1 }
        guard i > 0, let value = Double(String(String.UnicodeScalarView(scalars[0..<i]))), value >= 0 else {
            throw ParseError(description: "invalid size \"\(text)\"; write e.g. \"200MB\" or \"1GiB\"")
        }
        let unit = String(String.UnicodeScalarView(scalars[i...]))
        let multiplier: Double
        switch unit {
        case "B": multiplier = 1
        case "KB", "kB": multiplier = 1e3
        case "MB": multiplier = 1e6
        case "GB": multiplier = 1e9
        case "TB": multiplier = 1e12
        case "KiB": multiplier = 1024
        case "MiB": multiplier = 1024 * 1024
        case "GiB": multiplier = 1024 * 1024 * 1024
        case "TiB": multiplier = 1024 * 1024 * 1024 * 1024
        case "": throw ParseError(description: "size \"\(text)\" has no unit; write \"\(text)B\" for bytes, or e.g. \"\(text)MB\" or \"\(text)MiB\"")
        default: throw ParseError(description: "unknown size unit \"\(unit)\" in \"\(text)\"; use B, KB, MB, GB, KiB, MiB or GiB")
        }
        let bytes = (value * multiplier).rounded()
        guard bytes < 1.8e19 else { throw ParseError(description: "size \"\(text)\" is too large") }
        return ByteSize(bytes: UInt64(bytes))
    }

    /// Human form with binary units, e.g. `"12.3 MiB"`.
    public var description: String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var index = 0
        while value >= 1024, index < units.count - 1 { value /= 1024; index += 1 }
        if index == 0 { return "\(bytes) B" }
        let rounded = (value * 10).rounded() / 10
        return "\(rounded) \(units[index])"
    }
}
