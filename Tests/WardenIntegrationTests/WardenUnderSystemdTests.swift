import Foundation
import Testing
import WardenTestSupport

let execShimPath = BuiltProducts.path("warden-exec")

@Suite("Warden as a Type=notify service", .serialized)
struct WardenUnderSystemdTests {
    @Test("READY=1 after autostart, STATUS=, WATCHDOG=1 at half the interval, RELOADING=1 on SIGHUP, STOPPING=1")
    func notifiesServiceManager() throws {
        let listenerPath = "/tmp/wn-\(UUID().uuidString.prefix(8)).sock"
        let listener = try NotifyListener(path: listenerPath)
        defer { listener.stop() }
        // warden-exec sets WATCHDOG_PID to the pid that then becomes warden, as systemd would.
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.api]
            command = ["WORKLOAD", "steady"]
            numprocs = 2
            start_seconds = "300ms"
            """, environment: ["NOTIFY_SOCKET": listenerPath, "WATCHDOG_USEC": "400000"], launcher: [execShimPath])
        try waitFor("READY=1", timeout: 10) { !listener.messages(with: "READY=1").isEmpty }
        let ready = try #require(listener.messages(with: "READY=1").first)
        // Sent only once both instances left STARTING (start_seconds = 300 ms).
        #expect(ready.text.contains("STATUS=2 running, 0 backoff, 0 fatal; 0 leak alerts"))
        #expect(try warden.state("api:0") == "RUNNING")

        // Workers do not inherit Warden's own NOTIFY_SOCKET / WATCHDOG_*.
        let workerPID = try #require(try warden.processPID("api:0"))
        let environ = try String(contentsOfFile: "/proc/\(workerPID)/environ", encoding: .utf8).split(separator: "\0")
        #expect(!environ.contains { $0.hasPrefix("NOTIFY_SOCKET=") || $0.hasPrefix("WATCHDOG_") })

        // Watchdog: WATCHDOG_USEC = 400 ms, so a ping about every 200 ms.
        let windowStart = Date()
        Thread.sleep(forTimeInterval: 1.5)
        let pings = listener.messages(with: "WATCHDOG=1").filter { $0.at >= windowStart }
        #expect(pings.count >= 5 && pings.count <= 9, "pings in 1.5 s: \(pings.count)")
        let gaps = zip(pings.dropFirst(), pings).map { $0.at.timeIntervalSince($1.at) }
        #expect((gaps.max() ?? 1) < 0.4, "largest gap between pings: \(gaps.max() ?? -1) s")

        // STATUS= follows a change: stop one instance.
        #expect(try warden.cli(["stop", "api:1"]).status == 0)
        try waitFor("STATUS update", timeout: 5) {
            listener.messages(with: "STATUS=1 running, 0 backoff, 0 fatal; 0 leak alerts").count >= 1
        }

        // SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1 again.
        let readyBefore = listener.messages(with: "READY=1").count
        kill(warden.pid, SIGHUP)
        try waitFor("READY=1 after reload", timeout: 10) { listener.messages(with: "READY=1").count > readyBefore }
        let reloading = try #require(listener.messages(with: "RELOADING=1").first)
        let monotonic = reloading.text.split(separator: "\n").first { $0.hasPrefix("MONOTONIC_USEC=") }
        #expect(monotonic.flatMap { UInt64($0.dropFirst("MONOTONIC_USEC=".count)) } != nil)
        #expect(reloading.at <= listener.messages(with: "READY=1").last!.at)

        #expect(try warden.terminate() == 0)
        #expect(!listener.messages(with: "STOPPING=1").isEmpty)
    }

    @Test("without NOTIFY_SOCKET nothing is sent and workers get no NOTIFY_SOCKET")
    func withoutNotifySocket() throws {
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.plain]
            command = ["WORKLOAD", "steady"]
            start_seconds = "100ms"
            """, environment: ["NOTIFY_SOCKET": ""])
        try waitFor("RUNNING", timeout: 10) { try warden.state("plain") == "RUNNING" }
        let pid = try #require(try warden.processPID("plain"))
        let environ = try String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8).split(separator: "\0")
        #expect(!environ.contains { $0.hasPrefix("NOTIFY_SOCKET") })
        #expect(try warden.terminate() == 0)
    }

    @Test("etc/systemd/warden.service passes systemd-analyze verify without any output")
    func unitFileVerifies() throws {
        let analyze = "/usr/bin/systemd-analyze"
        try #require(FileManager.default.isExecutableFile(atPath: analyze), "systemd is installed by .ci/run")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let unit = try String(contentsOf: root.appendingPathComponent("etc/systemd/warden.service"), encoding: .utf8)
        #expect(unit.contains("Type=notify") && unit.contains("WatchdogSec=") && unit.contains("KillMode=mixed"))
        #expect(unit.contains("NotifyAccess=main") && unit.contains("ExecReload=/bin/kill -HUP $MAINPID"))
        // verify checks that ExecStart= exists: point it at the warden binary just built.
        let dir = URL(fileURLWithPath: "/tmp").appendingPathComponent("wu-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let copy = dir.appendingPathComponent("warden.service").path
        try unit.replacingOccurrences(of: "/usr/local/bin/warden", with: wardenPath).write(toFile: copy, atomically: true, encoding: .utf8)
        let result = try ChildProcess.runBlocking(analyze, ["verify", copy])
        #expect(result.status == 0)
        // Unknown keys and bad values are only warnings (rc 0): any output is a failure.
        #expect(result.stdout.isEmpty && result.stderr.isEmpty, "\(result.stdout)\(result.stderr)")
        // TimeoutStopSec must exceed the default shutdown_timeout (30 s).
        let stop = unit.split(separator: "\n").first { $0.hasPrefix("TimeoutStopSec=") }
        #expect(stop.flatMap { Int($0.dropFirst("TimeoutStopSec=".count).dropLast()) }.map { $0 > 30 } == true)
    }
}

/// Whether this process may make a private mount namespace (root with CAP_SYS_ADMIN; not in every
/// container), needed to put a fake journald socket at /run/systemd/journal/socket without touching the host.
private func canUnshareMounts() -> Bool {
    (try? ChildProcess.runBlocking("/usr/bin/unshare", ["-m", "/bin/true"]).status) == 0
}

@Suite("Warden logging to the journal")
struct JournalLoggingTests {
    @Test("with stderr connected to the journal (JOURNAL_STREAM), records carry PRIORITY=, WARDEN_PROCESS=, WARDEN_EVENT=",
          .enabled(if: canUnshareMounts(), "needs unshare -m (a private mount namespace) for a fake journald socket"))
    func journalFields() throws {
        let dir = try scriptDirectory()
        let config = dir.appendingPathComponent("w.toml").path
        try """
            [supervisor]
            state_dir = "st"
            [programs.journaled]
            command = ["\(workloadPath)", "steady"]
            start_seconds = "100ms"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        // In a private mount namespace: a tmpfs on /run/systemd, a datagram socket where journald's would
        // be, and Warden with stderr on a file whose dev:ino is JOURNAL_STREAM.
        let receiver = try writeScript("""
            import os, socket, sys
            os.makedirs("/run/systemd/journal", exist_ok=True)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind("/run/systemd/journal/socket")
            s.settimeout(3)
            out = open(sys.argv[1], "w")
            try:
                while True:
                    out.write(s.recv(65536).decode(errors="replace") + "\\n----\\n"); out.flush()
            except socket.timeout:
                pass
            """, named: "journald.py", in: dir)
        let records = dir.appendingPathComponent("journal.txt").path
        let stderrFile = dir.appendingPathComponent("stderr.txt").path
        let script = try writeScript("""
            set -e
            mount -t tmpfs tmpfs /run/systemd
            python3 \(receiver) \(records) &
            sleep 0.5
            exec 2>\(stderrFile)
            JOURNAL_STREAM=$(stat -c '%d:%i' \(stderrFile)) timeout -s INT 2 \(wardenPath) run -c \(config) || true
            wait
            """, named: "run.sh", in: dir)
        let result = try ChildProcess.runBlocking("/usr/bin/unshare", ["-m", "/bin/bash", script])
        #expect(result.status == 0, "\(result.stderr)")
        let journal = try String(contentsOfFile: records, encoding: .utf8)
        let entries = journal.components(separatedBy: "\n----\n")
        let running = entries.first { $0.contains("MESSAGE=journaled: STARTING -> RUNNING") }
        #expect(running?.contains("PRIORITY=6") == true)
        #expect(running?.contains("WARDEN_PROCESS=journaled") == true)
        #expect(running?.contains("WARDEN_EVENT=state-change") == true)
        #expect(running?.contains("SYSLOG_IDENTIFIER=warden") == true)
        // Everything went to the journal, nothing as plain lines on stderr.
        #expect((try? String(contentsOfFile: stderrFile, encoding: .utf8))?.isEmpty == true)
    }
}
