import Foundation
import Glibc
import Testing
import WardenCore
@testable import WardenLinux

@Suite("ProcessHandle: persistent /proc handles")
struct ProcessHandleTests {
    @Test("a re-read at offset 0 returns current values: CPU time and RSS move between reads")
    func rereadsAreFresh() throws {
        let handle = try #require(ProcessHandle(pid: getpid()))
        let before = try #require(handle.read())
        #expect(before.stat.pid == getpid() && before.sample.pid == getpid())
        #expect(before.sample.startTime == handle.startTime)

        // Burn CPU (ticks are 10 ms) and touch 64 MiB. (Not fds: the tests running in parallel in this
        // process open and close them all the time.)
        let cpuStart = ContinuousClock.now
        var spin: UInt64 = 0
        while ContinuousClock.now - cpuStart < .milliseconds(300) { spin &+= 1 }
        let size = 64 << 20
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
        defer { memory.deallocate() }
        for offset in stride(from: 0, to: size, by: 4096) { memory[offset] = UInt8(truncatingIfNeeded: spin) }

        let after = try #require(handle.read())
        #expect(after.sample.cpuTicks > before.sample.cpuTicks)
        #expect(after.sample.rssBytes >= before.sample.rssBytes + UInt64(size / 2))
        #expect(after.sample.startTime == before.sample.startTime)
    }

    @Test("a handle follows its process through exec: new comm, new fd count")
    func followsExec() async throws {
        let directory = try TemporaryDirectory()
        let fifo = directory.path + "/fifo"
        try #require(mkfifo(fifo, 0o600) == 0)
        let child = try TestSupport.withDevNull { null in
            try TestSupport.spawn(["sh", "-c", "read x < fifo; exec 3</dev/null 4</dev/null; exec sleep 10"],
                                  directory: directory.path, stdout: null, stderr: null)
        }
        defer { _ = try? child.pidfd?.signal(SIGKILL) }
        let handle = try #require(ProcessHandle(pid: child.pid))
        let before = try #require(handle.read())
        #expect(before.stat.comm == "sh")
        var writer: Int32 = -1  // ENXIO until sh has opened the FIFO for reading
        #expect(await TestSupport.eventually {
            writer = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            return writer >= 0
        })
        #expect(write(writer, "go\n", 3) == 3)
        close(writer)
        #expect(await TestSupport.waitUntilSleeping(child.pid))
        let after = try #require(handle.read())
        #expect(after.stat.comm == "sleep" && after.sample.startTime == before.sample.startTime)
        #expect(after.sample.fds == 5)  // 0-2 and the two /dev/null
        try child.pidfd?.signal(SIGKILL)
        #expect(await ReapHub.shared.status(of: child.pid) == .signaled(SIGKILL, coreDumped: false))
    }

    @Test("a handle reads what ProcReader reads, and nothing once its process is reaped")
    func childLifecycle() async throws {
        let child = try TestSupport.withDevNull { null in
            try TestSupport.spawn(["sh", "-c", "exec 3</dev/null; exec sleep 10"], stdout: null, stderr: null)
        }
        defer { _ = try? child.pidfd?.signal(SIGKILL) }
        #expect(await TestSupport.waitUntilSleeping(child.pid))
        let stat = try #require(ProcReader.readStat(pid: child.pid))
        let handle = try #require(ProcessHandle(pid: child.pid, expectedStartTime: stat.startTime))
        #expect(handle.pid == child.pid && handle.startTime == stat.startTime)
        #expect(ProcessHandle(pid: child.pid, expectedStartTime: stat.startTime + 1) == nil)  // another process
        let reading = try #require(handle.read())
        #expect(reading.sample == ProcReader.sample(pid: child.pid))  // idle sleep: nothing changes
        #expect(reading.stat.comm == "sleep" && reading.stat.ppid == getpid())
        #expect(reading.sample.fds == 4)
        #expect(handle.read() == reading)  // repeatable

        try child.pidfd?.signal(SIGKILL)
        #expect(await ReapHub.shared.status(of: child.pid) == .signaled(SIGKILL, coreDumped: false))
        #expect(handle.read() == nil)  // ESRCH: even if the pid were reused, the handle stays with the dead one
        #expect(handle.sample() == nil)
        #expect(ProcessHandle(pid: child.pid, expectedStartTime: stat.startTime) == nil)
    }

    @Test("readResources gives statm's RSS, the fd count and the thread count without stat; nil once reaped")
    func resources() async throws {
        // Five threads (main + 4), fds 0-2 and 3.
        let script = "import threading, time; [threading.Thread(target=time.sleep, args=(30,), daemon=True).start() "
            + "for _ in range(4)]; time.sleep(30)"
        let child = try TestSupport.withDevNull { null in
            try TestSupport.spawn(["sh", "-c", "exec 3</dev/null; exec python3 -c '\(script)'"], stdout: null, stderr: null)
        }
        defer { _ = try? child.pidfd?.signal(SIGKILL) }
        let handle = try #require(ProcessHandle(pid: child.pid))
        #expect(await TestSupport.eventually { handle.readResources()?.threads == 5 })
        let resources = try #require(handle.readResources())
        let full = try #require(handle.read())
        #expect(resources.threads == full.stat.numThreads)
        #expect(resources.fds == 4 && full.sample.fds == 4)
        #expect(resources.hasAddressSpace)
        let statm = try #require(ProcReader.readStatm(pid: child.pid))
        #expect(resources.rssBytes == statm.residentPages * UInt64(ProcReader.pageSize))
        #expect(resources.rssBytes > 1 << 20)  // a python interpreter

        try child.pidfd?.signal(SIGKILL)
        #expect(await ReapHub.shared.status(of: child.pid) == .signaled(SIGKILL, coreDumped: false))
        #expect(handle.readResources() == nil)
    }

    @Test("a zombie has no address space: readResources says so, and a full read shows state Z")
    func zombie() async throws {
        // `sleep 0` exits at once; its parent then execs `sleep 10` and never waits for it: a zombie.
        let child = try TestSupport.withDevNull { null in
            try TestSupport.spawn(["sh", "-c", "sleep 0 & exec sleep 10"], stdout: null, stderr: null)
        }
        defer { _ = try? child.pidfd?.signal(SIGKILL) }
        var zombiePID: Int32?
        #expect(await TestSupport.eventually {
            zombiePID = ProcessTable.snapshot().values.first { $0.ppid == child.pid && $0.state == "Z" }?.pid
            return zombiePID != nil
        })
        let pid = try #require(zombiePID)
        let handle = try #require(ProcessHandle(pid: pid))
        let resources = try #require(handle.readResources())
        #expect(!resources.hasAddressSpace && resources.rssBytes == 0)
        #expect(handle.read()?.stat.state == "Z")
        try child.pidfd?.signal(SIGKILL)
        #expect(await ReapHub.shared.status(of: child.pid) == .signaled(SIGKILL, coreDumped: false))
    }

    @Test("no handle for a pid that does not exist")
    func missing() {
        #expect(ProcessHandle(pid: Int32.max - 1) == nil)
        #expect(ProcessHandle(pid: 0) == nil)
    }
}

@Suite("IncrementalProcessTable: /proc scans that read only what changed")
struct IncrementalProcessTableTests {
    @Test("the first scan reads everything and agrees with a snapshot; later scans read far less")
    func agreesWithSnapshot() throws {
        let table = IncrementalProcessTable()
        let entries = table.refresh()
        let snapshot = ProcessTable.snapshot()
        #expect(table.lastRefreshReads >= entries.count)
        let mine = try #require(entries[getpid()])
        #expect(mine == snapshot[getpid()].map { ProcStatEntry(pid: $0.pid, ppid: $0.ppid, pgid: $0.pgid,
                                                                 sid: $0.sid, startTime: $0.startTime,
                                                                 state: mine.state, threads: mine.threads) })
        #expect(entries[1]?.startTime == snapshot[1]?.startTime)
        // Processes present in both and not reused agree on ids and start time.
        for (pid, entry) in entries {
            guard let other = snapshot[pid], other.startTime == entry.startTime else { continue }
            #expect(other.pgid == entry.pgid && other.sid == entry.sid, "\(pid)")
        }
        table.refresh()
        // Only processes started (or reparented) since the first scan are read; other tests and other users
        // of the machine do start some.
        #expect(table.lastRefreshReads < entries.count / 2, "\(table.lastRefreshReads) of \(entries.count)")
    }

    @Test("a new child is in the next scan, a reparented grandchild gets its new parent, the dead are dropped")
    func childrenAndOrphans() async throws {
        let table = IncrementalProcessTable()
        table.refresh()
        // sh starts a background `sleep 10` and exits once a line arrives on a FIFO; the sleep is then
        // reparented (to init, or to the nearest child subreaper above this test process).
        let directory = try TemporaryDirectory()
        let fifo = directory.path + "/fifo"
        try #require(mkfifo(fifo, 0o600) == 0)
        let child = try TestSupport.withDevNull { null in
            try TestSupport.spawn(["sh", "-c", "sleep 10 & read line < fifo"], directory: directory.path,
                                  stdout: null, stderr: null)
        }
        defer { _ = try? Signals.sendToGroup(child.pid, signal: SIGKILL) }  // if an expectation stops the test
        var grandchild: ProcStatEntry?
        #expect(await TestSupport.eventually {
            let entries = table.refresh()
            grandchild = entries.values.first { $0.ppid == child.pid }
            return entries[child.pid]?.ppid == getpid() && grandchild != nil
        })
        let orphan = try #require(grandchild)
        #expect(ProcessTable.descendants(of: getpid(), in: table.entries).contains(orphan.pid))
        var writer: Int32 = -1  // ENXIO until sh has opened the FIFO for reading
        #expect(await TestSupport.eventually {
            writer = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            return writer >= 0
        })
        #expect(write(writer, "go\n", 3) == 3)
        close(writer)
        #expect(await ReapHub.shared.status(of: child.pid) == .exited(0))

        let entries = table.refresh()
        #expect(entries[child.pid] == nil)  // reaped: dropped
        #expect(entries[orphan.pid]?.startTime == orphan.startTime)
        let actual = try #require(ProcReader.readStat(pid: orphan.pid))
        #expect(entries[orphan.pid]?.ppid == actual.ppid && actual.ppid != child.pid)  // re-read: sh is gone

        #expect(try Signals.sendToGroup(child.pid, signal: SIGKILL) == .delivered)
        #expect(await TestSupport.eventually {
            let now = ProcReader.readStat(pid: orphan.pid)
            return now == nil || now?.startTime != orphan.startTime || now?.state == "Z"
        })
        if ProcReader.readStat(pid: orphan.pid) == nil { #expect(table.refresh()[orphan.pid] == nil) }
    }

    @Test("update feeds a fresh stat back, but only for the process the table holds; changes are listed")
    func update() throws {
        let table = IncrementalProcessTable()
        let old = try #require(table.refresh()[getpid()])
        #expect(table.takeChanges()?.contains(getpid()) ?? true)  // first scan: everything is new
        var stat = try #require(ProcReader.readStat(pid: getpid()))
        stat.state = old.state
        table.update(stat)
        #expect(table.takeChanges() == [])  // same values: no change
        stat.state = "Z"
        table.update(stat)
        #expect(table.entries[getpid()]?.state == "Z")
        #expect(table.takeChanges() == [getpid()])
        stat.startTime += 1  // another process that has the pid now: not ours to record
        stat.ppid = 1
        table.update(stat)
        #expect(table.entries[getpid()]?.ppid == old.ppid)
        stat.pid = Int32.max - 1  // not in the table
        table.update(stat)
        #expect(table.entries[Int32.max - 1] == nil)
        #expect(table.takeChanges() == [])
        table.forget(getpid())
        #expect(table.entries[getpid()] == nil)
        #expect(table.takeChanges() == [getpid()])
        #expect(table.refresh()[getpid()]?.startTime == old.startTime)  // listed again, and read as new
        #expect(table.lastRefreshListed)
        #expect(table.takeChanges()?.contains(getpid()) ?? true)
    }

    @Test("with onlyIfNewPIDs, a new process is still in the very next refresh")
    func onlyIfNewPIDs() async throws {
        let table = IncrementalProcessTable()
        table.refresh(onlyIfNewPIDs: true)
        #expect(table.lastRefreshListed)  // the first refresh always lists
        let child = try TestSupport.withDevNull { null in
            try TestSupport.spawn(["sleep", "10"], stdout: null, stderr: null)
        }
        defer { _ = try? child.pidfd?.signal(SIGKILL) }
        let entries = table.refresh(onlyIfNewPIDs: true)
        #expect(table.lastRefreshListed)  // a pid was allocated (the child's) since the listing
        #expect(entries[child.pid]?.ppid == getpid())
        try child.pidfd?.signal(SIGKILL)
        #expect(await ReapHub.shared.status(of: child.pid) == .signaled(SIGKILL, coreDumped: false))
        table.forget(child.pid)
        table.refresh(onlyIfNewPIDs: true)
        #expect(table.lastRefreshListed)  // forget() asks for a listing
        #expect(table.entries[child.pid] == nil)
    }

    @Test("the last allocated pid is the fifth field of /proc/loadavg")
    func loadavg() {
        func parse(_ line: String) -> Int32? {
            Array(line.utf8).withUnsafeBufferPointer { IncrementalProcessTable.lastPID(inLoadavg: $0) }
        }
        #expect(parse("0.20 0.18 0.12 1/80 11206\n") == 11206)
        #expect(parse("0.00 0.00 0.00 1/1 1") == 1)
        #expect(parse("0.20 0.18 0.12 1/80 \n") == nil)
        #expect(parse("0.20 0.18 0.12 1/80 12x4\n") == nil)
        #expect(parse("") == nil)
    }
}

@Suite("ResourceLimits")
struct ResourceLimitsTests {
    @Test("the open-file soft limit is raised to the hard limit only when below the minimum")
    func raise() throws {
        let current = try ResourceLimits.openFileLimit()
        #expect(current.soft <= current.hard && current.soft >= 3)
        let untouched = try ResourceLimits.raiseOpenFileLimit(ifBelow: min(current.soft, 64))
        #expect(untouched.before == untouched.after)
        #expect(try ResourceLimits.openFileLimit() == current)
        // Raising is harmless for the other tests in this process (lowering is not, so it is not tested).
        let raised = try ResourceLimits.raiseOpenFileLimit()
        #expect(raised.before == current)
        #expect(raised.after.soft == raised.after.hard && raised.after.hard == current.hard)
        #expect(try ResourceLimits.openFileLimit() == raised.after)
    }
}
