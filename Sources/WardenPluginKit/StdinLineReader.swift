import Foundation
import WardenPluginProtocol
#if canImport(Glibc)
import Glibc
#endif

/// Reads a file descriptor (the plugin's stdin) on a dedicated thread and delivers its lines as an
/// `AsyncStream`, so the blocking `read(2)` never occupies a thread of Swift's cooperative pool.
enum StdinLineReader {
    /// Starts the reader thread. The stream finishes at end of file or on a read error other than `EINTR`.
    /// The buffer is unbounded on purpose: Warden sends a few small lines per interval and the session loop
    /// consumes them at once (collects run in a separate task), so the buffer never holds more than a few.
    static func lines(fileDescriptor: Int32, maxLineBytes: Int) -> AsyncStream<LineSplitter.Event> {
        let (stream, continuation) = AsyncStream.makeStream(of: LineSplitter.Event.self)
        let thread = Thread {
            var splitter = LineSplitter(maxLineBytes: maxLineBytes)
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                splitter.feed(buffer[0..<count]) { continuation.yield($0) }
            }
            if let tail = splitter.finish() { continuation.yield(tail) }
            continuation.finish()
        }
        thread.name = "warden-plugin-stdin"
        thread.start()
        return stream
    }
}
