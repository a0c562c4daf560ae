import Foundation
import Testing
import WardenTestSupport

/// One Warden per state directory, and a state directory no one else can plant files in.
@Suite("State directory end to end", .serialized)
struct StateDirectoryTests {
    @Test("a second Warden on the same state_dir exits at once naming the holder, spawns nothing, unlinks nothing")
    func secondWardenRefused() throws {
        let marker = UUID().uuidString
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.sleeper]
            command = ["WORKLOAD", "steady", "--mb", "0"]
            numprocs = 3
            start_seconds = "0s"
            environment = { WARDEN_TEST_RUN = "\(marker)" }
            """)
        try waitFor("three workers", timeout: 10) { processes(withEnvironment: "WARDEN_TEST_RUN=\(marker)").count == 3 }
        let lockText = try String(contentsOfFile: warden.stateDirectory + "/warden.lock", encoding: .utf8)
        #expect(lockText == "\(warden.pid)\n")
        var notifyBefore = stat()
        #expect(lstat(warden.stateDirectory + "/notify.sock", &notifyBefore) == 0)

        let started = Date()
        let second = try ChildProcess.runBlocking(wardenPath, ["run", "-c", warden.configPath])
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(second.status == 1)
        #expect(second.stderr.contains("pid \(warden.pid)"), "stderr: \(second.stderr)")
        #expect(second.stderr.contains("warden.lock"))
        #expect(processes(withEnvironment: "WARDEN_TEST_RUN=\(marker)").count == 3)
        // The first Warden's sockets are still the files it bound, and it still answers.
        var notifyAfter = stat()
        #expect(lstat(warden.stateDirectory + "/notify.sock", &notifyAfter) == 0)
        #expect(notifyAfter.st_ino == notifyBefore.st_ino)
        #expect(try warden.status().count == 3)
        #expect(try warden.terminate() == 0)
        #expect(processes(withEnvironment: "WARDEN_TEST_RUN=\(marker)").isEmpty)
    }

    @Test("a state_dir writable by others or owned by another user is refused, naming path and mode")
    func unsafeStateDirectoryRefused() throws {
        let dir = "/tmp/wt-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/state", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        chmod(dir + "/state", 0o777)
        let config = dir + "/warden.toml"
        try """
            [supervisor]
            state_dir = "state"

            [programs.one]
            command = ["/bin/sleep", "1000"]
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let open = try ChildProcess.runBlocking(wardenPath, ["run", "-c", config])
        #expect(open.status == 1)
        #expect(open.stderr.contains(dir + "/state"), "stderr: \(open.stderr)")
        #expect(open.stderr.contains("0777"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/state/warden.lock"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/state/warden.sock"))

        // Another user's directory, mode 0700 (the tests run as root, which can give it away; as another
        // user, /tmp itself is one: root's, and world-writable too).
        chmod(dir + "/state", 0o700)
        let owner: String
        if geteuid() == 0 {
            #expect(chown(dir + "/state", 65534, 65534) == 0)
            owner = "uid 65534"
        } else {
            try """
                [supervisor]
                state_dir = "/tmp"

                [programs.one]
                command = ["/bin/sleep", "1000"]
                """.write(toFile: config, atomically: true, encoding: .utf8)
            owner = "uid 0"
        }
        let foreign = try ChildProcess.runBlocking(wardenPath, ["run", "-c", config])
        #expect(foreign.status == 1)
        #expect(foreign.stderr.contains("owned by \(owner)"), "stderr: \(foreign.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/state/warden.lock"))
    }

    @Test("symbolic links planted in the state_dir are never written through")
    func plantedLinksRefused() throws {
        let dir = URL(fileURLWithPath: "/tmp").appendingPathComponent("wt-\(UUID().uuidString.prefix(8))")
        let state = dir.path + "/state", outside = dir.path + "/outside"
        for path in [state + "/logs", outside] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        chmod(state, 0o700)
        chmod(state + "/logs", 0o700)
        try "precious\n".write(toFile: outside + "/victim", atomically: false, encoding: .utf8)
        chmod(outside + "/victim", 0o600)
        let config = """
            [supervisor]
            state_dir = "state"

            [programs.chatty]
            command = ["/bin/sh", "-c", "while :; do echo hello; echo oops >&2; sleep 0.05; done"]
            start_seconds = "0s"
            """
        try config.write(toFile: dir.path + "/warden.toml", atomically: true, encoding: .utf8)

        // The lock file as a link: Warden refuses to start and creates nothing through it.
        symlink(outside + "/lock", state + "/warden.lock")
        let refused = try ChildProcess.runBlocking(wardenPath, ["run", "-c", dir.path + "/warden.toml"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("warden.lock"), "stderr: \(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: outside + "/lock"))
        unlink(state + "/warden.lock")

        // The event log and both output logs as links: Warden runs, and writes through none of them.
        symlink(outside + "/events", state + "/events.jsonl")
        symlink(outside + "/victim", state + "/logs/chatty.out.log")
        symlink(outside + "/err", state + "/logs/chatty.err.log")
        symlink(outside + "/wal", state + "/history.sqlite-wal")
        let warden = try WardenProcess(config: config, directory: dir)
        try waitFor("running", timeout: 10) { try warden.state("chatty") == "RUNNING" }
        usleep(500_000)
        #expect(try warden.cli(["restart", "chatty"]).status == 0)
        usleep(300_000)
        #expect(try String(contentsOfFile: outside + "/victim", encoding: .utf8) == "precious\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).sorted() == ["victim"])
        let health = try warden.health()
        #expect((health["output_dropped_bytes"] as? NSNumber)?.intValue ?? 0 > 0, "\(health)")
        #expect(try warden.terminate() == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).sorted() == ["victim"])
    }
}
