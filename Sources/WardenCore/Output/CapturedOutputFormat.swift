/// Rules for what Warden adds to a worker's captured stdout/stderr (`STATE_DIR/logs/NAME.out.log`): a
/// timestamp in front of every line (`log_timestamps`, on by default) and a marker line when a process
/// starts. Pure: the pump (`OutputCapture`) reads the clock and the pipes and passes bytes and the time in.
public enum CapturedOutputFormat {
    /// The marker line written before the first output of each new process (no newline; the pump adds it):
    /// `--- warden: api:0 started, pid 4242 ---`. `warden logs` shows where each (re)start begins.
    public static func startMarker(process: String, pid: Int32) -> String {
        "--- warden: \(process) started, pid \(pid) ---"
    }

    /// The prefix of a captured line read at `secondsSinceEpoch`: the RFC 3339 time and a space,
    /// `2026-12-06T18:14:19.123Z `.
    public static func timestampPrefix(secondsSinceEpoch: Double) -> [UInt8] {
        Array((RFC3339Text.string(secondsSinceEpoch: secondsSinceEpoch) + " ").utf8)
    }
}

/// Puts a prefix in front of every line of a byte stream that arrives in arbitrary chunks: a line cut
/// between two reads gets its prefix once, at its start.
public struct LineStamper: Sendable {
    /// Whether the next byte begins a line (true at the start of the stream).
    public private(set) var atLineStart = true

    public init() {}

    /// `bytes` with `prefix` inserted before each line that starts in them.
    public mutating func stamp(_ bytes: [UInt8], prefix: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { stamp($0, prefix: prefix) }
    }

    /// `bytes` with `prefix` inserted before each line that starts in them. Copies whole lines at a time (one
    /// scan and one copy each): this runs on every chunk the output pump reads.
    public mutating func stamp(_ bytes: UnsafeRawBufferPointer, prefix: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + prefix.count * 8)
        var start = 0
        let newline = UInt8(ascii: "\n")
        while start < bytes.count {
            if atLineStart { out.append(contentsOf: prefix) }
            var end = start
            while end < bytes.count && bytes[end] != newline { end += 1 }
            if end == bytes.count {
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                atLineStart = false
                break
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...end]))
            start = end + 1
            atLineStart = true
        }
        return out
    }
}
