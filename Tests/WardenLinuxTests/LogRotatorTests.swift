import Foundation
import Glibc
import Testing
import WardenLinux

/// `LogRotator` on real files: the one rotation rule of captured output and `events.jsonl`.
@Suite("LogRotator")
struct LogRotatorTests {
    static func write(_ path: String, _ text: String) {
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }

    /// `rotator.rotate(backups:)`, callable inside `#expect`.
    func rotate(_ rotator: inout LogRotator, backups: Int) -> Bool { rotator.rotate(backups: backups) }

    static func inode(_ path: String) -> ino_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_ino : nil
    }

    @Test("backups = 0: the file is truncated in place (same inode) and no backup is kept")
    func noBackups() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/events.jsonl"
        Self.write(path, "one\ntwo\n")
        let before = Self.inode(path)
        var rotator = LogRotator(path: path)
        #expect(rotate(&rotator, backups: 0))
        #expect(directory.read("events.jsonl") == "")
        #expect(Self.inode(path) == before)
        #expect(TestSupport.list(directory.path) == ["events.jsonl"])
        // Negative counts as 0.
        Self.write(path, "three\n")
        #expect(rotate(&rotator, backups: -2))
        #expect(directory.read("events.jsonl") == "")
        #expect(TestSupport.list(directory.path) == ["events.jsonl"])
    }

    @Test("backups = 1: the file becomes .1, replacing the previous .1; nothing else is kept")
    func oneBackup() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/w.out.log"
        var rotator = LogRotator(path: path)
        Self.write(path, "first\n")
        #expect(rotate(&rotator, backups: 1))
        #expect(TestSupport.list(directory.path) == ["w.out.log.1"])
        Self.write(path, "second\n")
        #expect(rotate(&rotator, backups: 1))
        #expect(TestSupport.list(directory.path) == ["w.out.log.1"])
        #expect(directory.read("w.out.log.1") == "second\n")
    }

    @Test("backups = 3: files shift up by one and at most 3 are kept, also with files left by an earlier run")
    func threeBackups() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/w.log"
        Self.write(path + ".1", "old1\n")
        Self.write(path + ".2", "old2\n")
        var rotator = LogRotator(path: path)
        for round in 1...3 {
            Self.write(path, "round\(round)\n")
            #expect(rotate(&rotator, backups: 3))
        }
        #expect(TestSupport.list(directory.path) == ["w.log.1", "w.log.2", "w.log.3"])
        #expect(directory.read("w.log.1") == "round3\n")
        #expect(directory.read("w.log.2") == "round2\n")
        #expect(directory.read("w.log.3") == "round1\n")
        // Fewer backups from now on (a reload): the higher numbers are left in place, never touched.
        Self.write(path, "round4\n")
        #expect(rotate(&rotator, backups: 1))
        #expect(directory.read("w.log.1") == "round4\n")
        #expect(directory.read("w.log.2") == "round2\n")
    }

    @Test("a missing file counts as rotated; a file that cannot be moved away is left as it is")
    func failures() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/w.log"
        var rotator = LogRotator(path: path)
        #expect(rotate(&rotator, backups: 2))
        #expect(rotate(&rotator, backups: 0))
        Self.write(path, "kept\n")
        try FileManager.default.createDirectory(atPath: path + ".1", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: path + ".1/inside", withIntermediateDirectories: false)
        #expect(!rotate(&rotator, backups: 1))
        #expect(directory.read("w.log") == "kept\n")
    }
}
