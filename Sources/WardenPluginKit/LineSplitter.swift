/// Splits a byte stream into newline-terminated lines, enforcing a maximum line length.
///
/// Pure and incremental: feed it chunks as `read(2)` returns them; it returns the complete lines found so far.
/// A line longer than `maxLineBytes` (newline and a trailing `\r` excluded) is not buffered beyond the limit:
/// its bytes are discarded up to the next newline and it is reported once as `.oversized(byteCount:)`.
public struct LineSplitter: Sendable {
    /// What the splitter found in the stream.
    public enum Event: Sendable, Equatable {
        /// One complete line, without its `\n` (and without a `\r` before it).
        case line([UInt8])
        /// A line that exceeded the limit; `byteCount` is its full length in bytes, newline excluded.
        case oversized(byteCount: Int)
    }

    /// Longest accepted line in bytes (`PluginProtocol.maxLineBytes` for the plugin channel).
    public let maxLineBytes: Int
    private var pending: [UInt8] = []
    private var discarding = false
    private var discardedCount = 0

    public init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// Consumes one chunk and returns the events it completed, in stream order.
    public mutating func feed(_ chunk: some Collection<UInt8>) -> [Event] {
        var events: [Event] = []
        for byte in chunk {
            if byte == UInt8(ascii: "\n") {
                if discarding {
                    events.append(.oversized(byteCount: discardedCount))
                    discarding = false
                    discardedCount = 0
                } else {
                    if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                    events.append(.line(pending))
                }
                pending.removeAll(keepingCapacity: true)
            } else if discarding {
                discardedCount += 1
            } else {
                pending.append(byte)
                // One extra byte is tolerated for a `\r` that may precede the newline.
                if pending.count > maxLineBytes + 1 || (pending.count == maxLineBytes + 1 && byte != UInt8(ascii: "\r")) {
                    discarding = true
                    discardedCount = pending.count
                    pending.removeAll(keepingCapacity: false)
                }
            }
        }
        return events
    }

    /// Called at end of stream: an unterminated last line is still delivered (or reported as oversized).
    public mutating func finish() -> [Event] {
        defer { pending = []; discarding = false; discardedCount = 0 }
        if discarding { return [.oversized(byteCount: discardedCount)] }
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        return pending.isEmpty ? [] : [.line(pending)]
    }
}
