import Foundation
import Glibc
import Testing
import WardenCore
import WardenLinux

@Suite("Spawner and PIDFD on real processes")
struct SpawnerTests {
    @Test("stdout and stderr reach their log files; the exit arrives through the reaper")
    func captureAndExit() async throws {
        let directory = try TemporaryDirectory()
        let capture = try OutputCapture(maxBytes: 1 << 20, backups: 2)
        let out = try capture.makePipe(logPath: directory.path + "/w.out.log")
        let err = try capture.makePipe(logPath: directory.path + "/w.err.log")
        let child = try TestSupport.spawn(["sh", "-c", "echo hi; echo err >&2"], stdout: out, stderr: err)
        capture.closeWriteEnd(out)
        capture.closeWriteEnd(err)
        #expect(await ReapHub.shared.status(of: child.pid) == .exited(0))
        #expect(await capture.shutdown(timeout: .seconds(10)))
        #expect(directory.read("w.out.log") == "hi\n")
        #expect(directory.read("w.err.log") == "err\n")
        #expect(capture.droppedBytes == 0)
    }

    @Test("the child gets exactly the given environment and working directory")
    func environmentAndDirectory() async throws {
        let directory = try TemporaryDirectory()
        let capture = try OutputCapture(maxBytes: 0, backups: 0)
        let out = try capture.makePipe(logPath: directory.path + "/env.log")
        let env = try TestSupport.spawn(["env"], environment: ["B": "two words", "A": "1"], stdout: out, stderr: out)
        let pwd = try TestSupport.spawn(["pwd"], directory: directory.path, stdout: out, stderr: out)
        capture.closeWriteEnd(out)
        #expect(await ReapHub.shared.status(of: env.pid) == .exited(0))
        #expect(await ReapHub.shared.status(of: pwd.pid) == .exited(0))
        #expect(await capture.shutdown(timeout: .seconds(10)))
        let lines = Set((directory.read("env.log") ?? "").split(separator: "\n").map(String.init))
        #expect(lines == ["A=1", "B=two words", directory.path])
    }

    @Test("no fd leaks, signals reset, own session: fds 0-2 only, SigBlk/SigIgn 0, pgid == sid == pid")
    func hygiene() async throws {
        // A descriptor without O_CLOEXEC, an ignored SIGPIPE and signals blocked in the spawning thread: none
        // of them may reach the child.
        let leaked = open("/dev/null", O_RDONLY)
        defer { close(leaked) }
        signal(SIGPIPE, SIG_IGN)
        var blocked = sigset_t()
        var previous = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        sigaddset(&blocked, SIGUSR2)
        let child = try TestSupport.withDevNull { null in
            pthread_sigmask(SIG_BLOCK, &blocked, &previous)
            defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
            return try TestSupport.spawn(["sleep", "5"], stdout: null, stderr: null)
        }
        #expect(await TestSupport.waitUntilSleeping(child.pid))
        #expect(TestSupport.list("/proc/\(child.pid)/fd") == ["0", "1", "2"])
        #expect(TestSupport.statusField(child.pid, "SigBlk") == "0000000000000000")
        #expect(TestSupport.statusField(child.pid, "SigIgn") == "0000000000000000")
        let stat = try #require(ProcReader.readStat(pid: child.pid))
        #expect(stat.pgrp == child.pid && stat.session == child.pid && stat.ppid == getpid())
        let pidfd = try #require(child.pidfd)
        #expect(try pidfd.signal(SIGKILL) == .delivered)
        #expect(await ReapHub.shared.status(of: child.pid) == .signaled(SIGKILL, coreDumped: false))
    }

    @Test("exit codes and signals decode; a reaped process's pidfd reports it gone (ESRCH)")
    func statusesAndPIDFD() async throws {
        let (exiter, sleeper) = try TestSupport.withDevNull { null in
            (try TestSupport.spawn(["sh", "-c", "exit 7"], stdout: null, stderr: null),
             try TestSupport.spawn(["sleep", "10"], stdout: null, stderr: null))
        }
        #expect(await ReapHub.shared.status(of: exiter.pid) == .exited(7))
        let pidfd = try #require(sleeper.pidfd)
        #expect(try pidfd.signal(9) == .delivered)
        #expect(await ReapHub.shared.status(of: sleeper.pid) == .signaled(9, coreDumped: false))
        #expect(try pidfd.signal(9) == .processGone)
        #expect(try pidfd.signal(0) == .processGone)
        pidfd.close()
        #expect(throws: SystemCallError("pidfd_send_signal", errno: EBADF)) { try pidfd.signal(0) }
    }

    @Test("a group signal reaches the whole process group")
    func groupSignal() async throws {
        let child = try TestSupport.withDevNull { null in
            try TestSupport.spawn(["sh", "-c", "sleep 10 & wait"], stdout: null, stderr: null)
        }
        var grandchild: ProcStatEntry?
        #expect(await TestSupport.eventually {
            let table = ProcessTable.snapshot()
            grandchild = ProcessTable.descendants(of: child.pid, in: table).first.flatMap { table[$0] }
            return grandchild != nil
        })
        #expect(try Signals.sendToGroup(child.pid, signal: SIGTERM) == .delivered)
        #expect(await ReapHub.shared.status(of: child.pid) == .signaled(SIGTERM, coreDumped: false))
        if let grandchild {  // reaped by sh or, once reparented, by us: gone either way
            #expect(await TestSupport.eventually {
                !TestSupport.exists(grandchild.pid, startTime: grandchild.startTime)
            })
        }
        #expect(try Signals.sendToGroup(child.pid, signal: SIGTERM) == .processGone)
        #expect(throws: SystemCallError.self) { try Signals.sendToGroup(1, signal: 0) }
        #expect(throws: SystemCallError.self) { try Signals.sendToGroup(0, signal: 0) }
    }

    @Test("a burst of exits (coalesced SIGCHLDs) is delivered completely")
    func burst() async throws {
        let children = try TestSupport.withDevNull { null in
            try (0..<100).map { index in
                try TestSupport.spawn(["sh", "-c", "exit \(index % 7)"], stdout: null, stderr: null)
            }
        }
        for (index, child) in children.enumerated() {
            #expect(await ReapHub.shared.status(of: child.pid) == .exited(Int32(index % 7)))
        }
    }

    @Test("spawn errors are thrown and leave nothing behind")
    func spawnErrors() throws {
        try TestSupport.withDevNull { null in
            let missing = SpawnRequest(executablePath: "/nonexistent/program", arguments: ["program"],
                                       environment: [:], stdoutFD: null, stderrFD: null)
            #expect(throws: SystemCallError("posix_spawn /nonexistent/program", errno: ENOENT)) {
                try Spawner.spawn(missing)
            }
            let badDirectory = SpawnRequest(executablePath: "/bin/true", arguments: ["true"], environment: [:],
                                            directory: "/nonexistent", stdoutFD: null, stderrFD: null)
            #expect(throws: SystemCallError("posix_spawn /bin/true", errno: ENOENT)) { try Spawner.spawn(badDirectory) }
            var invalid = badDirectory
            invalid.directory = nil
            invalid.arguments = []
            #expect(throws: SystemCallError("posix_spawn /bin/true", errno: EINVAL)) { try Spawner.spawn(invalid) }
            invalid.arguments = ["true", "a\0b"]
            #expect(throws: SystemCallError("posix_spawn /bin/true", errno: EINVAL)) { try Spawner.spawn(invalid) }
        }
        #expect(throws: SystemCallError.self) { try PIDFD(pid: Int32.max) }
    }

    @Test("errors describe the call and errno")
    func errorDescription() {
        #expect(SystemCallError("open /x", errno: ENOENT).description == "open /x: No such file or directory (errno 2)")
    }
}
