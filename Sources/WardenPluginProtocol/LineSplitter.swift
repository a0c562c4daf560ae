/// Splits a byte stream into lines of bounded length: the one rule for every line-oriented stream of
/// Warden and its plugins (the plugin protocol both ways, plugins' stderr).
///
/// Pure and incremental: feed it chunks as `read(2)` returns them; it emits the events they complete.
/// - A line is the bytes before a `\n`. A `\r` right before the `\n` belongs to the terminator, not to the
///   line: `a\r\n` and `a\n` are the same line `a`. Any other `\r` is kept.
/// - A line longer than `maxLineBytes` bytes (terminator excluded) is never delivered nor buffered beyond
///   the limit: its bytes are skipped up to its `\n` and it is reported once as `.oversized(bytes:)`, its
///   length in bytes, terminator excluded. The lines around it are unaffected.
/// - At end of stream (`finish`), an unterminated last line is delivered by the same rules.
/// Memory: at most `maxLineBytes + 1` bytes of an unfinished line are kept.
public struct LineSplitter: Sendable {
    /// What the splitter found in the stream.
    public enum Event: Sendable, Equatable {
        /// One complete line, without its terminator.
        case line([UInt8])
        /// A line longer than the limit was skipped; `bytes` is its length, terminator excluded.
        case oversized(bytes: Int)
    }

    /// Longest line delivered, in bytes, terminator excluded.
    public let maxLineBytes: Int
    /// The start of the current line (at most `maxLineBytes + 1` bytes: room for the `\r` of a `\r\n`).
    private var partial: [UInt8] = []
    /// Bytes of an overlong current line seen so far; > 0 while skipping it.
    private var skipped = 0
    /// Whether the last skipped byte was a `\r` (which belongs to the terminator if a `\n` follows).
    private var skippedEndsInCR = false

    public init(maxLineBytes: Int) {
        self.maxLineBytes = max(maxLineBytes, 0)
    }

    /// Consumes the next bytes of the stream and calls `emit` for each line (or overlong line) they end.
    public mutating func feed<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes, emit: (Event) -> Void) {
        var rest = bytes[...]
        while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
            append(rest[rest.startIndex..<newline])
            emit(takeLine())
            rest = rest[rest.index(after: newline)...]
        }
        append(rest)
    }

    /// `feed(_:emit:)` returning the events in stream order.
    public mutating func feed(_ bytes: some BidirectionalCollection<UInt8>) -> [Event] {
        var events: [Event] = []
        feed(bytes) { events.append($0) }
        return events
    }

    /// At end of stream: the unterminated last line (or `.oversized`), if any. Resets the splitter.
    public mutating func finish() -> Event? {
        guard skipped > 0 || !partial.isEmpty else { return nil }
        return takeLine()
    }

    /// Adds bytes without a `\n` to the current line, switching to skipping when it outgrows the limit.
    private mutating func append(_ piece: some BidirectionalCollection<UInt8>) {
        guard !piece.isEmpty else { return }
        let endsInCR = piece.last == UInt8(ascii: "\r")
        if skipped > 0 {
            skipped += piece.count
            skippedEndsInCR = endsInCR
            return
        }
        let total = partial.count + piece.count
        if total > maxLineBytes + 1 || (total == maxLineBytes + 1 && !endsInCR) {
            skipped = total
            skippedEndsInCR = endsInCR
            partial.removeAll(keepingCapacity: true)
        } else {
            partial.append(contentsOf: piece)
        }
    }

    /// Ends the current line: its event, with a final `\r` taken as part of the terminator.
    private mutating func takeLine() -> Event {
        if skipped > 0 {
            let length = skipped - (skippedEndsInCR ? 1 : 0)
            skipped = 0
            skippedEndsInCR = false
            return .oversized(bytes: length)
        }
        var line = partial
        partial.removeAll(keepingCapacity: true)
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return .line(line)
    }
}
