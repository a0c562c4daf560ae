import Foundation
import Glibc
import Testing
import WardenCore
import WardenLinux

@Suite("ProcReader and ProcessTable on real processes")
struct ProcReaderTests {
    @Test("sampling ourselves")
    func sampleSelf() throws {
        let sample = try #require(ProcReader.sample(pid: getpid()))
        #expect(sample.pid == getpid() && sample.ppid == getppid())
        #expect(sample.rssBytes > 0)
        #expect(sample.threads >= 1)
        #expect((sample.fds ?? 0) >= 3)
        #expect(sample.startTime > 0)
        #expect(ProcReader.clockTicksPerSecond == 100)
        #expect(ProcReader.pageSize == 4096)
    }

    @Test("sampling a child: rss, threads, fds equal to its /proc/PID/fd entries, ids, environment")
    func sampleChild() async throws {
        let child = try TestSupport.withDevNull { null in
            try TestSupport.spawn(
                ["sh", "-c", "exec 3</dev/null 4</dev/null; exec sleep 10"],
                environment: ["WARDEN_PROCESS_NAME": "web-1", "WARDEN_PROCESS_NAMES": "no", "X": "y=z"],
                stdout: null, stderr: null)
        }
        defer { _ = try? child.pidfd?.signal(SIGKILL) }
        #expect(await TestSupport.waitUntilSleeping(child.pid))
        let sample = try #require(ProcReader.sample(pid: child.pid))
        #expect(sample.pid == child.pid && sample.ppid == getpid() && sample.pgid == child.pid)
        #expect(sample.rssBytes > 0)
        #expect(sample.threads == 1)
        #expect(sample.fds == 5)
        #expect(sample.fds == TestSupport.list("/proc/\(child.pid)/fd").count)
        let stat = try #require(ProcReader.readStat(pid: child.pid))
        #expect(sample.startTime == stat.startTime)
        // RSS is exact: equal to VmRSS of /proc/PID/status (the process is idle, so it does not change).
        let vmRSS = try #require(TestSupport.statusField(child.pid, "VmRSS"))
        #expect(vmRSS == "\(sample.rssBytes / 1024) kB")

        #expect(ProcessTable.environmentValue(pid: child.pid, key: "WARDEN_PROCESS_NAME") == "web-1")
        #expect(ProcessTable.environmentValue(pid: child.pid, key: "X") == "y=z")
        #expect(ProcessTable.environmentValue(pid: child.pid, key: "WARDEN_PROCESS") == nil)
        #expect(ProcessTable.environmentValue(pid: child.pid, key: "PATH") == nil)

        let table = ProcessTable.snapshot()
        let entry = try #require(table[child.pid])
        #expect(entry.ppid == getpid() && entry.pgid == child.pid && entry.sid == child.pid)
        #expect(entry.startTime == stat.startTime)
        #expect(ProcessTable.descendants(of: getpid(), in: table).contains(child.pid))

        try child.pidfd?.signal(SIGKILL)
        #expect(await ReapHub.shared.status(of: child.pid) == .signaled(SIGKILL, coreDumped: false))
        #expect(ProcReader.sample(pid: child.pid) == nil)
        #expect(ProcReader.fdCount(pid: child.pid) == nil)
        #expect(ProcessTable.environmentValue(pid: child.pid, key: "X") == nil)
    }

    @Test("st_size of /proc/PID/fd equals the number of entries on this kernel")
    func fdCountMatchesListing() async throws {
        var opened: [Int32] = []
        defer { opened.forEach { close($0) } }
        let child = try TestSupport.withDevNull { null in
            try TestSupport.spawn(["sleep", "10"], stdout: null, stderr: null)
        }
        defer { _ = try? child.pidfd?.signal(SIGKILL) }
        #expect(await TestSupport.waitUntilSleeping(child.pid))
        var info = stat()
        #expect(stat("/proc/\(child.pid)/fd", &info) == 0)
        #expect(info.st_size == 3)
        #expect(ProcReader.fdCount(pid: child.pid) == 3)
        for _ in 0..<10 { opened.append(open("/dev/null", O_RDONLY | O_CLOEXEC)) }
        #expect((ProcReader.fdCount(pid: getpid()) ?? 0) >= 13)
    }

    @Test("descendants finds a grandchild under its parent")
    func grandchild() async throws {
        let child = try TestSupport.withDevNull { null in
            try TestSupport.spawn(["sh", "-c", "sleep 10; true"], stdout: null, stderr: null)
        }
        var found: ProcStatEntry?
        #expect(await TestSupport.eventually {
            let table = ProcessTable.snapshot()
            found = ProcessTable.descendants(of: getpid(), in: table).compactMap { table[$0] }
                .first { $0.ppid == child.pid }
            return found != nil
        })
        let grandchild = try #require(found)
        #expect(grandchild.pgid == child.pid)
        try Signals.sendToGroup(child.pid, signal: SIGKILL)
        #expect(await ReapHub.shared.status(of: child.pid) == .signaled(SIGKILL, coreDumped: false))
        // The grandchild may be reaped by sh itself (if it died first) or by us after reparenting: either
        // way it must be gone.
        #expect(await TestSupport.eventually { !TestSupport.exists(grandchild.pid, startTime: grandchild.startTime) })
    }
}

@Suite("Host memory reader")
struct HostMemoryReaderTests {
    @Test("this machine's headroom is positive and below its MemTotal")
    func thisMachine() throws {
        let headroom = try #require(HostMemoryReader().headroomBytes())
        let meminfo = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        let total = try #require(meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }?
            .split(separator: " ").dropFirst().first.flatMap { UInt64($0) })
        #expect(headroom > 0 && headroom <= total * 1024)
    }
}
