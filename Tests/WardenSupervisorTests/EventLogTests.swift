import Foundation
import Testing
import WardenCore
@testable import WardenSupervisor

@Suite("events.jsonl rotation")
struct EventLogTests {
    @Test("rotates between lines at log_max_bytes and keeps log_backups files, every line whole")
    func rotation() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ev-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("events.jsonl").path
        let log = EventLog(path: path, maxBytes: 2000, backups: 2)
        for index in 0..<200 {
            log.append(WardenEvent(time: "2026-11-30T00:00:00.000Z", process: "p\(index)", event: .supervisor,
                                   reason: EventReason.started, message: String(repeating: "x", count: 40)))
        }
        #expect(log.failedWrites == 0)
        let files = [path, path + ".1", path + ".2"]
        for file in files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.utf8.count <= 2000)
            for line in text.split(separator: "\n") {
                #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "torn line: \(line)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: path + ".3"))
        // The newest event is in the live file, the ones before it in .1.
        let live = try String(contentsOfFile: path, encoding: .utf8)
        #expect(live.contains("\"process\":\"p199\""))
    }

    @Test("a removed events.jsonl is created again at the next event")
    func recreatedAfterRemoval() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ev-\(UUID().uuidString.prefix(8)).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = EventLog(path: path, maxBytes: 0, backups: 0)
        log.append(WardenEvent(time: "t", process: "a", event: .supervisor, reason: EventReason.started))
        try FileManager.default.removeItem(atPath: path)
        log.append(WardenEvent(time: "t", process: "b", event: .supervisor, reason: EventReason.started))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\"process\":\"b\"") && !text.contains("\"process\":\"a\""))
        #expect(log.failedWrites == 0)
    }

    @Test("a torn last line left by a previous Warden is cut off before the next record")
    func tornTailRepaired() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ev-\(UUID().uuidString.prefix(8)).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"{"event":"supervisor"}"#.appending("\n{\"event\":\"sta").write(toFile: path, atomically: false, encoding: .utf8)
        let log = EventLog(path: path, maxBytes: 0, backups: 0)
        log.append(WardenEvent(time: "t", process: "b", event: .supervisor, reason: EventReason.started))
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines.last == "")
        #expect(lines.dropLast().allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil }, "\(lines)")
        #expect(lines[1].contains("\"process\":\"b\""))
    }

    @Test("a failed write (ENOSPC: /dev/full) is counted with its bytes and reported once per call")
    func failedWriteCounted() {
        let log = EventLog(path: "/dev/full", maxBytes: 0, backups: 0)
        var reasons: [String] = []
        log.onFailure = { reasons.append($0) }
        log.append(WardenEvent(time: "t", process: "a", event: .supervisor, reason: EventReason.started))
        log.append(WardenEvent(time: "t", process: "b", event: .supervisor, reason: EventReason.started))
        #expect(log.failedWrites == 2)
        #expect(log.lostBytes > 40)
        #expect(reasons.count == 2 && reasons[0].contains("No space left on device"), "\(reasons)")
    }
}
