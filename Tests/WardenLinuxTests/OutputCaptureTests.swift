import Foundation
import Glibc
import Testing
import WardenCore
import WardenLinux

@Suite("OutputCapture on real pipes")
struct OutputCaptureTests {
    /// Every log file of `base` oldest first: base.N … base.1, then base.
    static func rotated(_ directory: TemporaryDirectory, _ base: String) -> [String] {
        let numbers = TestSupport.list(directory.path).compactMap { name -> Int? in
            name.hasPrefix(base + ".") ? Int(name.dropFirst(base.count + 1)) : nil
        }
        return numbers.sorted(by: >).map { "\(base).\($0)" } + [base]
    }

    @Test("100k lines through 64 KiB rotation: every line exactly once, in order, files whole")
    func rotationKeepsEveryLine() async throws {
        let directory = try TemporaryDirectory()
        let capture = try OutputCapture(maxBytes: 64 * 1024, backups: 1000)
        let out = try capture.makePipe(logPath: directory.path + "/seq.out.log")
        let child = try TestSupport.spawn(["seq", "1", "100000"], stdout: out, stderr: out)
        capture.closeWriteEnd(out)
        #expect(await ReapHub.shared.status(of: child.pid) == .exited(0))
        #expect(await capture.shutdown(timeout: .seconds(20)))

        let files = Self.rotated(directory, "seq.out.log")
        #expect(files.count >= 9)  // 588,895 bytes / 64 KiB
        var numbers: [Int] = []
        for file in files {
            let text = try #require(directory.read(file))
            #expect(text.utf8.count <= 64 * 1024 + 6, "\(file)")  // at most the end of one line more
            #expect(text.hasSuffix("\n"), "\(file)")  // lines stay whole
            numbers += text.split(separator: "\n").map { Int($0) ?? -1 }
        }
        let firstWrong = zip(numbers, 1...).first { $0 != $1 }
        #expect(numbers.count == 100_000 && firstWrong == nil,
                "\(numbers.count) lines, first wrong: \(String(describing: firstWrong))")
        #expect(capture.droppedBytes == 0)
    }

    @Test("only `backups` rotated files are kept, and they hold the newest lines")
    func backupsLimit() async throws {
        let directory = try TemporaryDirectory()
        let capture = try OutputCapture(maxBytes: 1000, backups: 2)
        let out = try capture.makePipe(logPath: directory.path + "/w.log")
        let child = try TestSupport.spawn(["seq", "1", "1000"], stdout: out, stderr: out)
        capture.closeWriteEnd(out)
        #expect(await ReapHub.shared.status(of: child.pid) == .exited(0))
        #expect(await capture.shutdown(timeout: .seconds(10)))
        #expect(TestSupport.list(directory.path) == ["w.log", "w.log.1", "w.log.2"])
        let text = Self.rotated(directory, "w.log").compactMap { directory.read($0) }.joined()
        let numbers = text.split(separator: "\n").compactMap { Int($0) }
        #expect(numbers.last == 1000)
        let contiguous = numbers == Array((1001 - numbers.count)...1000)
        #expect(contiguous)
        #expect(text.utf8.count <= 3000 + 3 * 4)
    }

    @Test("setRotation (a reload of log_max_bytes / log_backups) applies to a pipe already being pumped")
    func rotationChangesLive() async throws {
        let directory = try TemporaryDirectory()
        let capture = try OutputCapture(maxBytes: 0, backups: 0)   // never rotate
        #expect(capture.maxBytes == 0 && capture.backups == 0)
        let out = try capture.makePipe(logPath: directory.path + "/w.log")
        // 200 lines now, then (after the new settings) 2000 more: `read` waits for the go-ahead on stdin.
        let fifo = directory.path + "/go"
        try #require(mkfifo(fifo, 0o600) == 0)
        let child = try TestSupport.spawn(["sh", "-c", "seq 1 200; read x < go; seq 201 2200"],
                                          directory: directory.path, stdout: out, stderr: out)
        capture.closeWriteEnd(out)
        #expect(await TestSupport.eventually { directory.read("w.log")?.hasSuffix("200\n") == true })
        #expect(TestSupport.list(directory.path) == ["go", "w.log"])
        capture.setRotation(maxBytes: 1000, backups: 3)
        #expect(capture.maxBytes == 1000 && capture.backups == 3)
        var writer: Int32 = -1
        #expect(await TestSupport.eventually {
            writer = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            return writer >= 0
        })
        #expect(write(writer, "go\n", 3) == 3)
        close(writer)
        #expect(await ReapHub.shared.status(of: child.pid) == .exited(0))
        #expect(await capture.shutdown(timeout: .seconds(10)))
        #expect(TestSupport.list(directory.path) == ["go", "w.log", "w.log.1", "w.log.2", "w.log.3"])
        for file in ["w.log", "w.log.1", "w.log.2"] {
            #expect((directory.read(file)?.utf8.count ?? 0) <= 1000 + 5, "\(file)")
        }
        #expect(directory.read("w.log")?.hasSuffix("2200\n") == true)
    }

    @Test("a rotation that cannot rename (a directory at NAME.log.1) keeps the output flowing, counts, and shuts down")
    func failedRotationDoesNotSpin() async throws {
        let directory = try TemporaryDirectory()
        try #require(mkdir(directory.path + "/w.log.1", 0o700) == 0)
        let capture = try OutputCapture(maxBytes: 1000, backups: 1)
        let blocked = try capture.makePipe(logPath: directory.path + "/w.log")
        let other = try capture.makePipe(logPath: directory.path + "/o.log")
        let first = try TestSupport.spawn(["seq", "1", "3000"], stdout: blocked, stderr: blocked)
        let second = try TestSupport.spawn(["seq", "1", "300"], stdout: other, stderr: other)
        capture.closeWriteEnd(blocked)
        capture.closeWriteEnd(other)
        #expect(await ReapHub.shared.status(of: first.pid) == .exited(0))
        #expect(await ReapHub.shared.status(of: second.pid) == .exited(0))
        #expect(await capture.shutdown(timeout: .seconds(10)))   // the pump was not stuck in a loop
        let text = try #require(directory.read("w.log"))
        #expect(text.split(separator: "\n").map { Int($0) ?? -1 } == Array(1...3000))   // nothing lost
        #expect(capture.failedRotations >= 1 && capture.failedRotations <= 14)   // at most one try per 1000 bytes
        #expect(directory.read("o.log")?.hasSuffix("300\n") == true)
        #expect(capture.droppedBytes == 0)
    }

    @Test("lines written in pieces are never split by a rotation")
    func piecewiseLinesStayWhole() async throws {
        let directory = try TemporaryDirectory()
        let capture = try OutputCapture(maxBytes: 1000, backups: 100)
        let out = try capture.makePipe(logPath: directory.path + "/p.log")
        // Each 65-byte line in three writes, with pauses so that the pump reads the pieces separately.
        let script = "import sys, time\nfor i in range(300):\n"
            + "    for piece in ('line %08d ' % i, 'x' * 40, ' end\\n'):\n"
            + "        sys.stdout.write(piece); sys.stdout.flush()\n"
            + "    if i % 10 == 0: time.sleep(0.001)\n"
        let child = try TestSupport.spawn(["python3", "-c", script], stdout: out, stderr: out)
        capture.closeWriteEnd(out)
        #expect(await ReapHub.shared.status(of: child.pid) == .exited(0))
        #expect(await capture.shutdown(timeout: .seconds(10)))
        let files = Self.rotated(directory, "p.log")
        #expect(files.count >= 15)
        var count = 0
        for file in files {
            let text = try #require(directory.read(file))
            #expect(text.hasSuffix("\n"), "\(file)")
            for line in text.split(separator: "\n") {
                #expect(line.hasPrefix("line ") && line.hasSuffix(" end") && line.utf8.count == 58, "\(file): \(line)")
                count += 1
            }
        }
        #expect(count == 300)
    }

    @Test("an existing log is appended to, and rotated first if already full")
    func existingFile() async throws {
        let directory = try TemporaryDirectory()
        try String(repeating: "old\n", count: 300)
            .write(toFile: directory.path + "/a.log", atomically: false, encoding: .utf8)
        let capture = try OutputCapture(maxBytes: 1000, backups: 3)
        let out = try capture.makePipe(logPath: directory.path + "/a.log")
        let child = try TestSupport.spawn(["sh", "-c", "echo new"], stdout: out, stderr: out)
        capture.closeWriteEnd(out)
        #expect(await ReapHub.shared.status(of: child.pid) == .exited(0))
        #expect(await capture.shutdown(timeout: .seconds(10)))
        #expect(directory.read("a.log") == "new\n")
        #expect(directory.read("a.log.1")?.utf8.count == 1200)
    }

    @Test("shutdown waits for EOF only until its deadline, keeps what was written, then refuses pipes")
    func shutdownDeadline() async throws {
        let directory = try TemporaryDirectory()
        let capture = try OutputCapture(maxBytes: 0, backups: 0)
        let out = try capture.makePipe(logPath: directory.path + "/s.log")
        let child = try TestSupport.spawn(["sh", "-c", "echo early; exec sleep 10"], stdout: out, stderr: out)
        capture.closeWriteEnd(out)
        #expect(await TestSupport.eventually { ProcReader.readStat(pid: child.pid)?.comm == "sleep" })
        let started = ContinuousClock.now
        #expect(await capture.shutdown(timeout: .milliseconds(200)) == false)
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(await capture.shutdown(timeout: .seconds(1)) == false)  // same result again
        #expect(directory.read("s.log") == "early\n")
        #expect(throws: SystemCallError("OutputCapture.makePipe", errno: ESHUTDOWN)) {
            try capture.makePipe(logPath: directory.path + "/late.log")
        }
        try child.pidfd?.signal(SIGKILL)
        #expect(await ReapHub.shared.status(of: child.pid) == .signaled(SIGKILL, coreDumped: false))
    }

    @Test("a failing log file drops and counts the bytes without blocking the worker")
    func diskFull() async throws {
        let capture = try OutputCapture(maxBytes: 0, backups: 0)  // never rotate: /dev/full must not be renamed
        let out = try capture.makePipe(logPath: "/dev/full")
        let child = try TestSupport.spawn(["seq", "1", "30000"], stdout: out, stderr: out)  // > a pipe buffer
        capture.closeWriteEnd(out)
        #expect(await ReapHub.shared.status(of: child.pid) == .exited(0))
        #expect(await capture.shutdown(timeout: .seconds(10)))
        #expect(capture.droppedBytes == 168_894)  // bytes of `seq 1 30000`
    }

    @Test("no output, no file: the log file is created by the first bytes, not by makePipe")
    func lazyFile() async throws {
        let directory = try TemporaryDirectory()
        let capture = try OutputCapture(maxBytes: 1000, backups: 2)
        let out = try capture.makePipe(logPath: directory.path + "/l.out.log")
        let err = try capture.makePipe(logPath: directory.path + "/l.err.log")
        #expect(TestSupport.list(directory.path).isEmpty)
        // Writes to stdout only once the file `go` exists; never writes to stderr.
        let child = try TestSupport.spawn(
            ["sh", "-c", "while [ ! -e go ]; do sleep 0.01; done; echo first"], directory: directory.path,
            stdout: out, stderr: err)
        capture.closeWriteEnd(out)
        capture.closeWriteEnd(err)
        try await Task.sleep(for: .milliseconds(100))
        #expect(TestSupport.list(directory.path).isEmpty)  // running, silent: still no file
        close(open(directory.path + "/go", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600))
        #expect(await ReapHub.shared.status(of: child.pid) == .exited(0))
        #expect(await capture.shutdown(timeout: .seconds(10)))
        #expect(TestSupport.list(directory.path) == ["go", "l.out.log"])  // stderr never carried a byte
        #expect(directory.read("l.out.log") == "first\n")
        #expect(capture.droppedBytes == 0)
    }

    @Test("makePipe reports a log path that cannot be opened")
    func badPath() throws {
        let capture = try OutputCapture(maxBytes: 0, backups: 0)
        #expect(throws: SystemCallError("open /nonexistent/dir/x.log", errno: ENOENT)) {
            try capture.makePipe(logPath: "/nonexistent/dir/x.log")
        }
        #expect(throws: SystemCallError("open /dev/null/x.log", errno: ENOTDIR)) {
            try capture.makePipe(logPath: "/dev/null/x.log")
        }
        Task { _ = await capture.shutdown(timeout: .zero) }
    }
}
