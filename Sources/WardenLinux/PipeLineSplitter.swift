/// Splits a byte stream into newline-terminated lines of bounded length (see `PipeLineReader`).
///
/// A value type owned by whoever reads the pipe (the `PipeLinePump` thread): it needs no lock and is never
/// shared. Memory is bounded: at most `limit` bytes of an unfinished line are kept; the rest of an
/// overlong line is skipped up to its newline and reported as `.oversized`.
struct PipeLineSplitter {
    /// Longest line kept, in bytes, without its `\n`.
    let limit: Int
    /// The start of a line whose newline has not arrived yet (at most `limit` bytes).
    private var partial: [UInt8] = []
    /// Bytes of an overlong line counted so far; > 0 while discarding the rest of it.
    private var skipping = 0

    init(limit: Int) { self.limit = max(limit, 0) }

    /// Consumes the next bytes of the stream and calls `emit` for every line (or overlong line) they end.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (PipeLine) -> Void) {
        var rest = bytes[...]
        while let newline = rest.firstIndex(of: 10) {
            let piece = rest[rest.startIndex..<newline]
            if skipping > 0 {
                emit(.oversized(bytes: skipping + piece.count))
                skipping = 0
            } else if partial.count + piece.count > limit {
                emit(.oversized(bytes: partial.count + piece.count))
                partial.removeAll()
            } else {
                emit(.line(partial + piece))
                partial.removeAll(keepingCapacity: true)
            }
            rest = rest[(newline + 1)...]
        }
        if skipping > 0 {
            skipping += rest.count
        } else if partial.count + rest.count > limit {
            skipping = partial.count + rest.count
            partial.removeAll()
        } else {
            partial += rest
        }
    }

    /// At end of file: the unterminated last line (or `.oversized` for an overlong one), if any. Resets the
    /// splitter.
    mutating func finish() -> PipeLine? {
        defer { partial.removeAll(); skipping = 0 }
        if skipping > 0 { return .oversized(bytes: skipping) }
        return partial.isEmpty ? nil : .line(partial)
    }
}
