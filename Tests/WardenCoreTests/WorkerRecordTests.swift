import Testing
import WardenCore

@Suite("Worker records")
struct WorkerRecordTests {
    static func entry(_ pid: Int32, ppid: Int32, sid: Int32, start: UInt64, state: Character = "S") -> ProcStatEntry {
        ProcStatEntry(pid: pid, ppid: ppid, pgid: sid, sid: sid, startTime: start, state: state)
    }

    static func table(_ entries: [ProcStatEntry]) -> [Int32: ProcStatEntry] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0.pid, $0) })
    }

    @Test("the text round-trips; torn or foreign text is no record")
    func text() {
        let record = WorkerRecord(pid: 42, startTime: 123_456, name: "api:0 x")
        #expect(record.text == "42 123456 api:0 x\n")
        #expect(WorkerRecord(text: record.text) == record)
        #expect(WorkerRecord(text: "42 123456 api:0") == nil)       // no newline: torn
        #expect(WorkerRecord(text: "42 abc api:0\n") == nil)
        #expect(WorkerRecord(text: "-1 5 api\n") == nil)
        #expect(WorkerRecord(text: "42 5 \n") == nil)
        #expect(WorkerRecord(text: "") == nil)
    }

    @Test("leftovers: the main, its session and its descendants; zombies and older processes are not")
    func leftovers() {
        let record = WorkerRecord(pid: 100, startTime: 1000, name: "web")
        let table = Self.table([
            Self.entry(100, ppid: 1, sid: 100, start: 1000),
            Self.entry(101, ppid: 100, sid: 100, start: 1001),
            Self.entry(102, ppid: 1, sid: 100, start: 1002),                // orphaned, still in the session
            Self.entry(103, ppid: 101, sid: 103, start: 1003),              // setsid child of a descendant
            Self.entry(104, ppid: 100, sid: 100, start: 1004, state: "Z"),  // a zombie
            Self.entry(200, ppid: 1, sid: 200, start: 500),                 // unrelated
        ])
        #expect(record.leftovers(in: table) == [100: 1000, 101: 1001, 102: 1002, 103: 1003])
    }

    @Test("a main that died leaves its session members; a pid that names another process leaves nothing")
    func recycled() {
        let record = WorkerRecord(pid: 100, startTime: 1000, name: "web")
        let orphans = Self.table([
            Self.entry(102, ppid: 1, sid: 100, start: 1002),
            Self.entry(300, ppid: 1, sid: 300, start: 900),
        ])
        #expect(record.leftovers(in: orphans) == [102: 1002])
        let reused = Self.table([
            Self.entry(100, ppid: 1, sid: 100, start: 5000),
            Self.entry(101, ppid: 100, sid: 100, start: 5001),
        ])
        #expect(record.leftovers(in: reused).isEmpty)
    }
}

@Suite("Zombie leaders in the process table")
struct ZombieLeaderTableTests {
    @Test("a zombie with live threads is alive: a tree member and a leftover; one without is gone")
    func zombieLeaderAlive() {
        let leader = ProcStatEntry(pid: 100, ppid: 1, pgid: 100, sid: 100, startTime: 10, state: "Z", threads: 5)
        let dead = ProcStatEntry(pid: 101, ppid: 100, pgid: 100, sid: 100, startTime: 11, state: "Z", threads: 1)
        #expect(!leader.isExited)
        #expect(dead.isExited)
        let table: [Int32: ProcStatEntry] = [100: leader, 101: dead]
        let index = TreeIndex(table: table, mains: [100], wardenPID: 1) { _ in nil }
        #expect(index.members(root: 100, rootStart: 10, known: [:], name: "z") == [100: 10])
        #expect(WorkerRecord(pid: 100, startTime: 10, name: "z").leftovers(in: table) == [100: 10])
    }
}
