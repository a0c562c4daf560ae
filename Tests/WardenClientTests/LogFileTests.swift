import Foundation
import Testing
@testable import WardenClient

@Suite("LogFile: tail and follow across rotation and truncation")
struct LogFileTests {
    func withDirectory(_ body: (String) throws -> Void) rethrows {
        let directory = "/tmp/i13-logfile-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    func append(_ text: String, to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test("the last N lines, from NAME.log.1 too when the live file has fewer; an unterminated line counts")
    func tail() throws {
        try withDirectory { directory in
            let path = directory + "/w.out.log"
            #expect(LogFile(path: path).tail(lines: 5).isEmpty)
            try append("a\nb\nc\n", to: path + ".1")
            try append("d\ne", to: path)
            #expect(text(LogFile(path: path).tail(lines: 1)) == "e")
            #expect(text(LogFile(path: path).tail(lines: 3)) == "c\nd\ne")
            #expect(text(LogFile(path: path).tail(lines: 10)) == "a\nb\nc\nd\ne")
            #expect(LogFile(path: path).tail(lines: 0).isEmpty)
            let long = (0..<20_000).map { "line \($0)\n" }.joined()
            try append("\n" + long, to: path)
            #expect(text(LogFile(path: path).tail(lines: 2)) == "line 19998\nline 19999\n")
        }
    }

    @Test("readNew: appended bytes, then a rotated file from its start, then a truncated one")
    func follow() throws {
        try withDirectory { directory in
            let path = directory + "/w.out.log"
            let file = LogFile(path: path)
            #expect(file.tail(lines: 10).isEmpty)
            #expect(file.readNew().isEmpty)
            try append("one\n", to: path)
            #expect(text(file.readNew()) == "one\n")
            try append("two\n", to: path)
            try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
            try append("three\n", to: path)
            #expect(text(file.readNew()) == "two\nthree\n")
            #expect(file.readNew().isEmpty)
            try Data().write(to: URL(fileURLWithPath: path))  // truncated in place (log_backups = 0)
            try append("four\n", to: path)
            #expect(text(file.readNew()) == "four\n")
        }
    }
}
