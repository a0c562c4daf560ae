import Foundation
import WardenCore

/// Appends `WardenEvent`s to `STATE_DIR/events.jsonl`, one JSON object per line.
///
/// Owned by the supervisor actor. Each event is written with one `write(2)` on an `O_APPEND` descriptor,
/// so a line is never interleaved or torn by another writer and a crash loses at most the event being
/// written. Write errors are counted and logged by the caller, never thrown: supervision must go on
/// when the disk is full.
final class EventLog {
    private let handle: FileHandle?
    private let encoder: JSONEncoder
    /// Events that could not be written.
    private(set) var failedWrites = 0

    /// Opens (creating, mode 0640) the event log at `path`.
    init(path: String) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        handle = fd >= 0 ? FileHandle(fileDescriptor: fd, closeOnDealloc: true) : nil
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    /// Appends one event as one line.
    func append(_ event: WardenEvent) {
        guard let handle, var data = try? encoder.encode(event) else { failedWrites += 1; return }
        data.append(0x0A)
        do { try handle.write(contentsOf: data) } catch { failedWrites += 1 }
    }
}

/// RFC 3339 timestamps in UTC with milliseconds, e.g. `2026-11-30T03:45:12.345Z`.
enum RFC3339 {
    static func string(secondsSinceEpoch: Double) -> String {
        Date(timeIntervalSince1970: secondsSinceEpoch)
            .formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func now() -> (String, WallClockTime) {
        let seconds = Date().timeIntervalSince1970
        return (string(secondsSinceEpoch: seconds), WallClockTime(secondsSinceEpoch: seconds))
    }
}
