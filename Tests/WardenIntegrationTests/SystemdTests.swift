import Foundation
import Testing

private func transitions(_ warden: WardenProcess, _ name: String) -> [String] {
    warden.events()
        .filter { $0["process"] as? String == name && $0["event"] as? String == "state-change" }
        .map { "\($0["old_state"] as? String ?? "")->\($0["new_state"] as? String ?? ""):\($0["reason"] as? String ?? "")" }
}

/// A Python 3 notify sender using only the socket module: sends `messages` (separated by `|`) with
/// `delay` seconds before each, then sleeps.
private let pythonSenderScript = """
    import os, socket, sys, time
    path = os.environ["NOTIFY_SOCKET"]
    delay = float(sys.argv[1])
    for message in sys.argv[2:]:
        time.sleep(delay)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.connect(path)
        s.send(message.replace("|", "\\n").encode())
        s.close()
    time.sleep(600)
    """

@Suite("Workers speaking systemd's notify protocol", .serialized)
struct WorkerNotifyTests {
    @Test("a real redis-server --supervised systemd reaches RUNNING only with its READY=1")
    func redisSupervisedSystemd() throws {
        let redis = "/usr/bin/redis-server"
        try #require(FileManager.default.isExecutableFile(atPath: redis), "redis-server is installed by .ci/run")
        let dir = try scriptDirectory()
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.redis]
            command = ["\(redis)", "--port", "0", "--unixsocket", "\(dir.path)/redis.sock", "--save", "", "--appendonly", "no",
                       "--supervised", "systemd", "--daemonize", "no"]
            ready = "notify"
            start_timeout = "20s"
            start_seconds = "60s"
            """)
        try waitFor("redis RUNNING", timeout: 20) { try warden.state("redis") == "RUNNING" }
        #expect(transitions(warden, "redis").contains("STARTING->RUNNING:ready-notified"))
        let status = try #require(try warden.status()["redis"])
        // Redis sends STATUS= along with READY=1 ("Ready to accept connections ...").
        #expect((status["status_text"] as? String)?.hasPrefix("Ready to accept connections") == true)
        #expect(try warden.terminate() == 0)
    }

    @Test("systemd-notify --ready from a shell script, with notify_access = all")
    func systemdNotifyFromShell() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-notify"))
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.shell]
            command = ["/bin/sh", "-c", "sleep 0.3; systemd-notify --ready --status='up from sh'; sleep 600"]
            ready = "notify"
            notify_access = "all"
            start_timeout = "20s"
            """)
        try waitFor("shell RUNNING", timeout: 20) { try warden.state("shell") == "RUNNING" }
        #expect(transitions(warden, "shell").contains("STARTING->RUNNING:ready-notified"))
        #expect(try warden.status()["shell"]?["status_text"] as? String == "up from sh")
        #expect(try warden.terminate() == 0)
    }

    @Test("notify.sock deleted while Warden runs: the next notify worker gets a new socket, and its READY=1 arrives")
    func notifySocketRebound() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-notify"))
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.shell]
            command = ["/bin/sh", "-c", "sleep 0.2; systemd-notify --ready; sleep 600"]
            ready = "notify"
            notify_access = "all"
            start_timeout = "20s"
            """)
        try waitFor("shell RUNNING", timeout: 20) { try warden.state("shell") == "RUNNING" }
        let socketPath = warden.stateDirectory + "/notify.sock"
        for round in 0..<3 {
            try FileManager.default.removeItem(atPath: socketPath)
            let restart = try warden.cli(["restart", "shell"])
            #expect(restart.status == 0, "round \(round): \(restart.stderr)")
            #expect(try warden.state("shell") == "RUNNING")
            #expect(FileManager.default.fileExists(atPath: socketPath))
        }
        #expect(warden.stderrText().contains("was removed or replaced; binding a new one"))
        #expect(transitions(warden, "shell").filter { $0 == "STARTING->RUNNING:ready-notified" }.count == 4)
        #expect(try warden.terminate() == 0)
    }

    @Test("a Python sender: STARTING until READY=1, STATUS shown, ERRNO recorded")
    func pythonSender() throws {
        let dir = try scriptDirectory()
        let script = try writeScript(pythonSenderScript, named: "notify.py", in: dir)
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.py]
            command = ["python3", "\(script)", "1.0", "STATUS=loading", "READY=1|STATUS=serving|ERRNO=5"]
            ready = "notify"
            start_timeout = "20s"
            start_seconds = "100ms"
            """)
        try waitFor("py status loading", timeout: 10) { try warden.status()["py"]?["status_text"] as? String == "loading" }
        // start_seconds (100 ms) has long passed: readiness is READY=1 only.
        #expect(try warden.state("py") == "STARTING")
        try waitFor("py RUNNING", timeout: 10) { try warden.state("py") == "RUNNING" }
        let status = try #require(try warden.status()["py"])
        #expect(status["status_text"] as? String == "serving")
        #expect((status["notify_errno"] as? NSNumber)?.intValue == 5)
        #expect(warden.events().contains { $0["event"] as? String == "notify" && $0["reason"] as? String == "errno" })
        #expect(try warden.terminate() == 0)
    }

    @Test("a worker that never sends READY=1 is stopped at start_timeout, goes BACKOFF, then FATAL")
    func neverReady() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.silent]
            command = ["WORKLOAD", "steady"]
            ready = "notify"
            start_timeout = "400ms"
            start_retries = 1
            backoff = "100ms"
            stop_timeout = "2s"
            """)
        try waitFor("FATAL", timeout: 15) { try warden.state("silent") == "FATAL" }
        let seen = transitions(warden, "silent")
        #expect(seen.filter { $0 == "STARTING->STOPPING:start-timeout" }.count == 2)
        #expect(seen.contains("STOPPING->BACKOFF:start-timeout"))
        #expect(seen.last == "STOPPING->FATAL:start-retries-exhausted")
        #expect(processes(withEnvironment: "WARDEN_PROCESS_NAME=silent").isEmpty)
        #expect(try warden.terminate() == 0)
    }

    @Test("a worker that stops pinging is restarted with reason watchdog; it gets WATCHDOG_USEC and its own WATCHDOG_PID")
    func watchdogRestart() throws {
        let dir = try scriptDirectory()
        let script = try writeScript(pythonSenderScript, named: "notify.py", in: dir)
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.pinger]
            command = ["python3", "\(script)", "0.2", "READY=1", "WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1"]
            ready = "notify"
            watchdog = "700ms"
            start_timeout = "10s"
            """)
        try waitFor("pinger RUNNING", timeout: 10) { try warden.state("pinger") == "RUNNING" }
        let firstPID = try #require(try warden.processPID("pinger"))
        let environ = try String(contentsOfFile: "/proc/\(firstPID)/environ", encoding: .utf8).split(separator: "\0")
        #expect(environ.contains("WATCHDOG_USEC=700000"))
        #expect(environ.contains("WATCHDOG_PID=\(firstPID)"))
        #expect(environ.contains { $0.hasPrefix("NOTIFY_SOCKET=") })
        try waitFor("watchdog restart", timeout: 10) {
            warden.events().contains { $0["event"] as? String == "watchdog" && $0["reason"] as? String == "missed-ping" }
        }
        try waitFor("pinger restarted", timeout: 10) {
            let pid = try warden.processPID("pinger")
            return pid != nil && pid != firstPID
        }
        #expect(transitions(warden, "pinger").contains("RUNNING->STOPPING:watchdog"))
        #expect(try warden.status()["pinger"]?["last_restart_reason"] as? String == "watchdog")
        // The three pings (0.8 s after start) kept it alive past one period: the restart came after them.
        #expect(!isAlive(firstPID))
        #expect(try warden.terminate() == 0)
    }

    @Test("WATCHDOG=trigger restarts at once")
    func watchdogTrigger() throws {
        let dir = try scriptDirectory()
        let script = try writeScript(pythonSenderScript, named: "notify.py", in: dir)
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.trig]
            command = ["python3", "\(script)", "0.3", "READY=1", "WATCHDOG=trigger"]
            ready = "notify"
            watchdog = "30s"
            """)
        try waitFor("trigger event", timeout: 10) {
            warden.events().contains { $0["event"] as? String == "watchdog" && $0["reason"] as? String == "trigger" }
        }
        #expect(try warden.terminate() == 0)
    }

    @Test("a worker flooding the notify socket slows down only itself: every other worker's READY=1 arrives")
    func floodIsFair() throws {
        let dir = try scriptDirectory()
        let flood = try writeScript("""
            import os, socket, time
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.connect(os.environ["NOTIFY_SOCKET"])
            s.send(b"READY=1")
            end = time.time() + 6
            while time.time() < end:
                s.send(b"WATCHDOG=1\\nSTATUS=flooding")
            time.sleep(600)
            """, named: "flood.py", in: dir)
        let sender = try writeScript(pythonSenderScript, named: "notify.py", in: dir)
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.flood]
            command = ["python3", "\(flood)"]
            numprocs = 3
            ready = "notify"
            watchdog = "30s"

            [programs.victim]
            command = ["python3", "\(sender)", "1.5", "READY=1"]
            numprocs = 8
            ready = "notify"
            start_timeout = "15s"
            """)
        try waitFor("every victim RUNNING", timeout: 20) {
            let status = try warden.status()
            return (0..<8).allSatisfy { status["victim:\($0)"]?["state"] as? String == "RUNNING" }
        }
        for index in 0..<8 {
            #expect(transitions(warden, "victim:\(index)") == ["STOPPED->STARTING:autostart", "STARTING->RUNNING:ready-notified"])
        }
        #expect(try warden.terminate() == 0)
    }

    @Test("STOPPING=1 arms stop_timeout: a worker that never exits is killed, then the restart policy applies")
    func selfStopTimeout() throws {
        let dir = try scriptDirectory()
        let script = try writeScript(pythonSenderScript, named: "notify.py", in: dir)
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.lingers]
            command = ["python3", "\(script)", "0.3", "READY=1", "STOPPING=1"]
            ready = "notify"
            restart = "always"
            stop_timeout = "1s"
            """)
        try waitFor("restarted after the self-stop timed out", timeout: 15) {
            let restarts = try warden.status()["lingers"]?["restarts"] as? Int ?? 0
            return transitions(warden, "lingers").contains("STOPPING->EXITED:exit") && restarts >= 1
        }
        #expect(transitions(warden, "lingers").contains("RUNNING->STOPPING:stopping-notified"))
        #expect(try warden.terminate() == 0)
    }

    @Test("MAINPID= from a forking daemon: the named child becomes the main process when its parent exits")
    func forkingDaemonMainPID() throws {
        let dir = try scriptDirectory()
        let daemon = try writeScript("""
            import os, signal, socket, sys, time
            path = os.environ["NOTIFY_SOCKET"]
            child = os.fork()
            if child == 0:
                def on_term(*_):
                    open(sys.argv[1], "w").write("graceful")
                    os._exit(0)
                signal.signal(signal.SIGTERM, on_term)
                while True: time.sleep(1)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.connect(path)
            s.send(("MAINPID=%d\\nREADY=1" % child).encode())
            time.sleep(0.3)
            os._exit(0)
            """, named: "daemon.py", in: dir)
        let marker = dir.appendingPathComponent("marker").path
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.forking]
            command = ["python3", "\(daemon)", "\(marker)"]
            ready = "notify"
            restart = "never"
            stop_timeout = "10s"
            """)
        try waitFor("main pid switched", timeout: 10) {
            warden.events().contains { $0["event"] as? String == "notify" && $0["reason"] as? String == "mainpid" }
        }
        let pid = try #require(try warden.processPID("forking"))
        #expect(try warden.state("forking") == "RUNNING")
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let ppid = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")[1]
        #expect(Int32(ppid) == warden.pid)   // reparented to Warden, the subreaper
        let started = Date()
        #expect(try warden.cli(["stop", "forking"]).status == 0)
        #expect(Date().timeIntervalSince(started) < 5, "the stop signal did not reach the new main process")
        #expect((try? String(contentsOfFile: marker, encoding: .utf8)) == "graceful")
        #expect(try warden.terminate() == 0)
    }

    @Test("a forking daemon whose parent exits right after MAINPID= and READY=1 starts every time (its datagram is read before its exit)")
    func forkingDaemonExitRace() throws {
        let dir = try scriptDirectory()
        let daemon = try writeScript("""
            import os, socket, time
            child = os.fork()
            if child == 0:
                os.setsid()
                while True: time.sleep(1)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.connect(os.environ["NOTIFY_SOCKET"])
            s.send(("MAINPID=%d\\nREADY=1" % child).encode())
            os._exit(0)
            """, named: "quick.py", in: dir)
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.quick]
            command = ["python3", "\(daemon)"]
            ready = "notify"
            start_timeout = "5s"
            start_retries = 0
            """)
        try waitFor("RUNNING", timeout: 10) { try warden.state("quick") == "RUNNING" }
        for round in 1...8 {
            let restart = try warden.cli(["restart", "quick"])
            #expect(restart.status == 0, "round \(round): \(restart.stderr)")
            #expect(try warden.state("quick") == "RUNNING", "round \(round)")
        }
        #expect(!warden.events().contains { $0["event"] as? String == "orphans-killed" })
        #expect(try warden.terminate() == 0)
    }

    @Test("thousands of malformed and foreign datagrams change no worker's state")
    func notifyFuzz() throws {
        let dir = try scriptDirectory()
        // A worker that sprays malformed datagrams of its own, then pings READY once (it must still work).
        let sprayer = try writeScript("""
            import os, random, socket, time
            path = os.environ["NOTIFY_SOCKET"]
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.connect(path)
            rng = random.Random(7)
            for i in range(1500):
                kind = i % 6
                if kind == 0: data = os.urandom(rng.randint(1, 300))
                elif kind == 1: data = b"READY"                       # no '='
                elif kind == 2: data = b"=1\\nREADY=1"               # empty key: whole datagram rejected
                elif kind == 3: data = b"STATUS=" + b"x" * 5000        # oversized
                elif kind == 4: data = b"STATUS=\\xff\\xfe\\nREADY=1"  # not UTF-8
                else: data = b"ready=1\\nstopping=1"                   # lower-case keys are invalid
                try: s.send(data)
                except OSError: time.sleep(0.001)
            s.send(b"READY=1")
            time.sleep(600)
            """, named: "spray.py", in: dir)
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.sprayer]
            command = ["python3", "\(sprayer)"]
            ready = "notify"
            start_timeout = "30s"

            [programs.bystander]
            command = ["WORKLOAD", "steady"]
            numprocs = 2
            start_seconds = "200ms"
            """)
        try waitFor("bystanders RUNNING", timeout: 10) {
            try warden.state("bystander:0") == "RUNNING" && warden.state("bystander:1") == "RUNNING"
        }
        let bystanderPIDs = try [warden.processPID("bystander:0"), warden.processPID("bystander:1")]
        // From the test process (no worker): random bytes and plausible commands alike are ignored.
        var rng = SystemRandomNumberGenerator()
        let socketPath = warden.stateDirectory + "/notify.sock"
        for i in 0..<2000 {
            let bytes: [UInt8] = i % 2 == 0
                ? (0..<Int.random(in: 1...400, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                : Array("STOPPING=1\nWATCHDOG=trigger\nMAINPID=\(bystanderPIDs[0] ?? 2)".utf8)
            sendDatagram(bytes, to: socketPath)
        }
        try waitFor("sprayer RUNNING", timeout: 20) { try warden.state("sprayer") == "RUNNING" }
        let health = try warden.cli(["status", "--json"])   // the control API still answers
        #expect(health.status == 0)
        #expect(try [warden.processPID("bystander:0"), warden.processPID("bystander:1")] == bystanderPIDs)
        for name in ["bystander:0", "bystander:1"] {
            #expect(transitions(warden, name) == ["STOPPED->STARTING:autostart", "STARTING->RUNNING:start-seconds-elapsed"])
        }
        #expect(transitions(warden, "sprayer") == ["STOPPED->STARTING:autostart", "STARTING->RUNNING:ready-notified"])
        // Every datagram is accounted for: applied, malformed or foreign; none is dropped (the last ones
        // may still be queued when the sprayer's READY=1 has been handled, hence the wait).
        var counters: [String: Any] = [:]
        let count = { (key: String) in (counters[key] as? NSNumber)?.intValue ?? 0 }
        try waitFor("every datagram counted", timeout: 10) {
            counters = try warden.health()["notify_datagrams"] as? [String: Any] ?? [:]
            return count("accepted") + count("malformed") + count("unknown_sender") >= 3501
        }
        #expect(count("unknown_sender") >= 100)
        #expect(count("malformed") >= 100)
        #expect(count("accepted") >= 1)
        #expect(try warden.terminate() == 0)
    }
}
