import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes whole lines to a file descriptor (the plugin's stdout or stderr) from a dedicated thread.
///
/// `write(line:)` only enqueues, so callers on Swift's cooperative pool never block even when the reader
/// (Warden) is slow; lines are written in enqueue order, each with its `\n`, by `write(2)` calls that are not
/// interleaved with any other line (one writer thread per descriptor), so nothing is buffered in user space:
/// every line is flushed as soon as the thread writes it. On a write error (Warden went away: `EPIPE`)
/// further lines are discarded.
public final class LineWriter: @unchecked Sendable {
    // Safety of @unchecked Sendable: every mutable property (`queue`, `busy`, `failed`, `drainWaiters`) is
    // read and written only while `condition` is locked; `fileDescriptor` is immutable.
    private let condition = NSCondition()
    private var queue: [[UInt8]] = []
    private var busy = false
    private var failed = false
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    private let fileDescriptor: Int32

    /// Starts the writer thread for `fileDescriptor` (it lives as long as the process).
    public init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
        let thread = Thread { [self] in self.runLoop() }
        thread.name = "warden-plugin-writer-\(fileDescriptor)"
        thread.start()
    }

    /// Enqueues one line; `line` must not contain `\n` (the writer appends it).
    public func write(line: [UInt8]) {
        condition.lock()
        if !failed {
            queue.append(line + [UInt8(ascii: "\n")])
            condition.signal()
        }
        condition.unlock()
    }

    /// Enqueues a text line (UTF-8).
    public func write(text: String) {
        write(line: Array(text.utf8))
    }

    /// Returns once every line enqueued before the call has been written (or dropped after a write error).
    public func drain() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if queue.isEmpty && !busy {
                condition.unlock()
                continuation.resume()
            } else {
                drainWaiters.append(continuation)
                condition.unlock()
            }
        }
    }

    private func runLoop() {
        while true {
            condition.lock()
            while queue.isEmpty { condition.wait() }
            let batch = queue
            queue.removeAll()
            busy = true
            condition.unlock()

            var ok = true
            for line in batch where ok { ok = writeAll(line) }

            condition.lock()
            busy = false
            if !ok { failed = true; queue.removeAll() }
            var waiters: [CheckedContinuation<Void, Never>] = []
            if queue.isEmpty { swap(&waiters, &drainWaiters) }
            condition.unlock()
            for waiter in waiters { waiter.resume() }
        }
    }

    private func writeAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fileDescriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }
}
