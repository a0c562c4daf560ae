import Testing
import WardenCore

@Suite("/proc parsers")
struct ProcParsersTests {
    /// `cat /proc/self/stat` captured on the Debian 12 / Linux 6.x test machine.
    static let catStat = "32707 (cat) R 32705 32705 8890 0 -1 4194304 99 0 0 0 3 2 0 0 20 0 1 0 92000 3133440 389 "
        + "18446744073709551615 94581248856064 94581248875945 140737079619664 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 "
        + "94581248891952 94581248893568 94581487431680 140737079622349 140737079622369 140737079622369 "
        + "140737079623659 0\n"

    @Test("a real stat line parses into the fields Warden uses")
    func realLine() throws {
        let stat = try #require(ProcStat.parse(Self.catStat))
        #expect(stat == ProcStat(
            pid: 32707, comm: "cat", state: "R", ppid: 32705, pgrp: 32705, session: 8890, utime: 3, stime: 2,
            numThreads: 1, startTime: 92000, rssPages: 389))
    }

    @Test("bytes and text parse alike")
    func bytesAndText() {
        #expect(ProcStat.parse(Array(Self.catStat.utf8)) == ProcStat.parse(Self.catStat))
        #expect(ProcStat.parse(Self.catStat.utf8.reversed().reversed()) == ProcStat.parse(Self.catStat))
    }

    @Test("comm with spaces and parentheses is taken up to the last ')'")
    func weirdComm() throws {
        let line = "4242 ((we ird) )name)) S 1 4242 4242 0 -1 4194304 0 0 0 0 7 8 5 6 20 0 3 0 555 0 12 0\n"
        let stat = try #require(ProcStat.parse(line))
        #expect(stat.comm == "(we ird) )name)")
        #expect(stat.state == "S")
        #expect(stat.ppid == 1)
        #expect(stat.pgrp == 4242 && stat.session == 4242)
        #expect(stat.utime == 7 && stat.stime == 8)
        #expect(stat.childrenCPUTicks == 11)   // cutime 5 + cstime 6
        #expect(stat.numThreads == 3)
        #expect(stat.startTime == 555)
        #expect(stat.rssPages == 12)
    }

    @Test("a comm that imitates the following fields does not shift them")
    func spoofedComm() throws {
        let line = "77 (x) R 1 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0) Z 5 6 7 0 -1 0 0 0 0 0 10 20 0 0 20 0 2 0 99 0 4 0"
        let stat = try #require(ProcStat.parse(line))
        #expect(stat.comm == "x) R 1 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0")
        #expect(stat.state == "Z" && stat.ppid == 5 && stat.pgrp == 6 && stat.session == 7)
        #expect(stat.utime == 10 && stat.stime == 20 && stat.numThreads == 2 && stat.startTime == 99)
        #expect(stat.rssPages == 4)
    }

    @Test("empty comm and negative fields (tty_nr, tpgid, nice) are accepted")
    func negativeFields() throws {
        let line = "9 () I 2 0 0 -1 -1 -2 0 0 0 0 0 0 0 0 -20 -20 1 0 3 0 0 0"
        let stat = try #require(ProcStat.parse(line))
        #expect(stat.comm == "" && stat.state == "I" && stat.ppid == 2 && stat.startTime == 3)
    }

    @Test("malformed stat lines are rejected", arguments: [
        "",
        "1 (init S 0 0 0",                                               // no ')'
        "1 init) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 25 0 3",          // no '('
        "x (a) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 25 0 3",            // pid not a number
        "1 (a) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 25 0",              // 23 fields: no rss
        "1 (a) SS 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 25 0 3",           // state is one letter
        "1 (a) S 0 0 0 0 -1 0 0 0 0 0 0 zz 0 0 20 0 1 0 25 0 3",           // stime not a number
        "1 (a) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99999999999999999999 0 3",  // starttime overflows
        "1 (a) S 0 0 0 0 -1 0 0 0 0 0 0 -5 0 0 20 0 1 0 25 0 3",           // negative stime
    ])
    func malformed(line: String) {
        #expect(ProcStat.parse(line) == nil)
    }

    @Test("statm gives size and resident pages")
    func statm() throws {
        #expect(ProcStatm.parse("765 403 375 5 0 123 0\n") == ProcStatm(sizePages: 765, residentPages: 403))
        #expect(ProcStatm.parse(Array("0 0 0 0 0 0 0\n".utf8)) == ProcStatm(sizePages: 0, residentPages: 0))
        #expect(ProcStatm.parse("765\n") == nil)
        #expect(ProcStatm.parse("765 x 1") == nil)
        #expect(ProcStatm.parse("") == nil)
    }

    @Test("a sample is built from a stat line")
    func sample() throws {
        let stat = try #require(ProcStat.parse(Self.catStat))
        let sample = ProcessSample(stat: stat, residentPages: 403, pageSize: 4096, fds: 4)
        #expect(sample == ProcessSample(
            pid: 32707, ppid: 32705, pgid: 32705, startTime: 92000, rssBytes: 403 * 4096, threads: 1, fds: 4,
            cpuTicks: 5))
    }

    static func entry(_ pid: Int32, _ ppid: Int32, start: UInt64 = 100) -> ProcStatEntry {
        ProcStatEntry(pid: pid, ppid: ppid, pgid: pid, sid: pid, startTime: start, state: "S")
    }

    @Test("descendants are found breadth first, the root excluded")
    func descendants() {
        let table = Dictionary(uniqueKeysWithValues: [
            Self.entry(1, 0), Self.entry(10, 1), Self.entry(11, 10), Self.entry(12, 10), Self.entry(13, 11),
            Self.entry(20, 1), Self.entry(21, 20),
        ].map { ($0.pid, $0) })
        #expect(ProcessTable.descendants(of: 10, in: table) == [11, 12, 13]
            || ProcessTable.descendants(of: 10, in: table) == [12, 11, 13])
        #expect(Set(ProcessTable.descendants(of: 1, in: table)) == [10, 11, 12, 13, 20, 21])
        #expect(ProcessTable.descendants(of: 13, in: table) == [])
        #expect(ProcessTable.descendants(of: 99, in: table) == [])
    }

    @Test("a child that started before its parent is a stale link (pid reuse) and is not followed")
    func staleLink() {
        let table = Dictionary(uniqueKeysWithValues: [
            Self.entry(10, 1, start: 500), Self.entry(11, 10, start: 400), Self.entry(12, 10, start: 600),
        ].map { ($0.pid, $0) })
        #expect(ProcessTable.descendants(of: 10, in: table) == [12])
    }

    @Test("a cycle from an inconsistent snapshot terminates")
    func cycle() {
        let table = Dictionary(uniqueKeysWithValues: [Self.entry(10, 11), Self.entry(11, 10)].map { ($0.pid, $0) })
        #expect(ProcessTable.descendants(of: 10, in: table) == [11])
    }
}

/// `HostMemory`: /proc/meminfo's MemAvailable, cgroup v2 paths and limits, and the room left.
@Suite("Host memory parsing")
struct HostMemoryTests {
    @Test("MemAvailable in kB becomes bytes; a meminfo without it (kernels before 3.14) is nil")
    func memAvailable() {
        let text = "MemTotal:       24576000 kB\nMemFree:         1000000 kB\nMemAvailable:   20480000 kB\nBuffers: 1 kB\n"
        #expect(HostMemory.memAvailable(meminfo: Array(text.utf8)) == 20_480_000 * 1024)
        #expect(HostMemory.memAvailable(meminfo: Array("MemTotal: 1 kB\nMemFree: 1 kB\n".utf8)) == nil)
        #expect(HostMemory.memAvailable(meminfo: Array("MemAvailable: lots kB\n".utf8)) == nil)
    }

    @Test("the cgroup v2 line gives the path; 'max' is no limit; the smaller room wins")
    func cgroup() {
        #expect(HostMemory.cgroupPath(procCgroup: "0::/system.slice/warden.service\n") == "/system.slice/warden.service")
        #expect(HostMemory.cgroupPath(procCgroup: "12:memory:/x\n1:name=systemd:/x\n") == nil)
        #expect(HostMemory.cgroupBytes("max\n") == nil && HostMemory.cgroupBytes("536870912\n") == 536_870_912)
        #expect(HostMemory.headroom(memAvailable: 8_000, cgroupMax: nil, cgroupCurrent: nil) == 8_000)
        #expect(HostMemory.headroom(memAvailable: 8_000, cgroupMax: 5_000, cgroupCurrent: 1_000) == 4_000)
        #expect(HostMemory.headroom(memAvailable: 3_000, cgroupMax: 5_000, cgroupCurrent: 1_000) == 3_000)
        #expect(HostMemory.headroom(memAvailable: 3_000, cgroupMax: 5_000, cgroupCurrent: 6_000) == 0)
        #expect(HostMemory.headroom(memAvailable: nil, cgroupMax: 5_000, cgroupCurrent: 1_000) == 4_000)
    }
}
