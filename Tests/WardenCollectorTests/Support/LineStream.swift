import Foundation
import Synchronization

/// Lines of a child's output pipe as an async stream, fed by `FileHandle.readabilityHandler` (a Dispatch
/// thread, not the cooperative pool). `next(timeout:)` gives up after a deadline instead of hanging a test.
final class LineStream {
    enum Event: Sendable { case line(String), end, deadline(Int) }

    private let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private let pending = SharedState<[UInt8]>([])
    private var nextDeadline = 0
    private var iterator: AsyncStream<Event>.Iterator

    init(reading handle: FileHandle) {
        (events, continuation) = AsyncStream.makeStream(of: Event.self)
        iterator = events.makeAsyncIterator()
        let continuation = self.continuation
        let pending = self.pending
        handle.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                continuation.yield(.end)
                continuation.finish()
                return
            }
            let lines: [String] = pending.withLock { buffer in
                buffer += data
                var lines: [String] = []
                while let newline = buffer.firstIndex(of: 0x0A) {
                    lines.append(String(decoding: buffer[..<newline], as: UTF8.self))
                    buffer.removeSubrange(...newline)
                }
                return lines
            }
            for line in lines { continuation.yield(.line(line)) }
        }
    }

    /// The next line, or `nil` at end of output or when `timeout` seconds pass first.
    /// Callers read from one task at a time.
    func next(timeout: Double) async -> String? {
        nextDeadline += 1
        let token = nextDeadline
        let continuation = self.continuation
        let timer = Task {
            try? await Task.sleep(for: .seconds(timeout))
            continuation.yield(.deadline(token))
        }
        defer { timer.cancel() }
        while let event = await iterator.next() {
            switch event {
            case .line(let line): return line
            case .end: return nil
            case .deadline(let expired) where expired == token: return nil
            case .deadline: continue  // a previous call's timer
            }
        }
        return nil
    }
}
