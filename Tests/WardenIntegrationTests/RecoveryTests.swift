import Foundation
import Testing
import WardenTestSupport

/// After `kill -9` of Warden, the next Warden on the same state_dir ends what the first left running
/// before it starts anything: no duplicate, no orphan.
@Suite("Recovery after kill -9 end to end", .serialized)
struct RecoveryTests {
    /// Whether an HTTP server answers on 127.0.0.1:`port`.
    static func answers(_ port: Int) -> Bool {
        (try? ChildProcess.runBlocking("/usr/bin/curl", ["-sf", "-o", "/dev/null", "-m", "1", "http://127.0.0.1:\(port)/"]))?.status == 0
    }

    @Test("10 workers with two HTTP servers: kill -9, start again, no duplicate, servers answer, nothing left after shutdown")
    func killNineThenRestart() throws {
        let marker = UUID().uuidString
        let ports = [FreePort.loopback(), FreePort.loopback()]
        let config = """
            [supervisor]
            state_dir = "state"

            [programs.web0]
            command = ["python3", "-m", "http.server", "--bind", "127.0.0.1", "\(ports[0])"]
            start_seconds = "0s"
            environment = { WARDEN_TEST_RUN = "\(marker)" }

            [programs.web1]
            command = ["python3", "-m", "http.server", "--bind", "127.0.0.1", "\(ports[1])"]
            start_seconds = "0s"
            environment = { WARDEN_TEST_RUN = "\(marker)" }

            [programs.steady]
            command = ["WORKLOAD", "steady", "--mb", "0"]
            numprocs = 6
            start_seconds = "0s"
            environment = { WARDEN_TEST_RUN = "\(marker)" }

            [programs.tree]
            command = ["/bin/sh", "-c", "sleep 1000 & exec sleep 1001"]
            numprocs = 2
            start_seconds = "0s"
            environment = { WARDEN_TEST_RUN = "\(marker)" }
            """
        let tagged = { processes(withEnvironment: "WARDEN_TEST_RUN=\(marker)") }
        var first: WardenProcess? = try WardenProcess(config: config)
        let directory = first!.directory
        // 10 workers, and the `sleep 1000` child of each `tree` worker.
        try waitFor("12 tagged processes", timeout: 20) { tagged().count == 12 }
        try waitFor("both servers", timeout: 20) { ports.allSatisfy(Self.answers) }
        let before = Set(tagged())
        let records = try FileManager.default.contentsOfDirectory(atPath: first!.stateDirectory + "/workers")
        #expect(records.count == 10)

        first!.keepDirectory = true
        first!.process.kill()
        #expect(first!.process.waitForExitBlocking(timeout: 10) != nil)
        first = nil
        #expect(Set(tagged()) == before, "kill -9 of Warden orphans its workers")

        let second = try WardenProcess(config: config, directory: directory)
        // Each old process was ended before anything was spawned: none of the old pids is left, and there
        // are 12 again, not 24.
        try waitFor("the old processes gone", timeout: 15) { Set(tagged()).isDisjoint(with: before) }
        try waitFor("12 new tagged processes", timeout: 20) { tagged().count == 12 }
        try waitFor("both servers answering", timeout: 10) { ports.allSatisfy(Self.answers) }
        #expect(tagged().count == 12)
        let status = try second.status()
        #expect(status.count == 10)
        #expect(status.values.allSatisfy { $0["state"] as? String == "RUNNING" }, "\(status)")
        let ended = second.events().filter { $0["reason"] as? String == "leftovers-ended" }
        #expect(ended.count == 10)
        #expect(ended.allSatisfy { $0["event"] as? String == "orphans-killed" && $0["pid"] != nil })
        #expect(second.stderrText().contains("left running by a previous warden"))

        #expect(try second.terminate() == 0)
        #expect(tagged().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: second.stateDirectory + "/workers").isEmpty)
    }

    @Test("a record whose pid now names another process is not acted on")
    func recycledPIDUntouched() throws {
        let bystander = try ChildProcess("/bin/sleep", ["1000"])
        defer { bystander.kill() }
        let dir = URL(fileURLWithPath: "/tmp").appendingPathComponent("wt-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: dir.path + "/state/workers", withIntermediateDirectories: true)
        chmod(dir.path + "/state", 0o700)
        // The bystander's pid with a start time it does not have: a worker that died, its pid reused.
        try "\(bystander.pid) 1 ghost\n".write(toFile: dir.path + "/state/workers/\(bystander.pid)", atomically: false, encoding: .utf8)
        let warden = try WardenProcess(config: """
            [supervisor]
            state_dir = "state"

            [programs.one]
            command = ["/bin/sleep", "1000"]
            """, directory: dir)
        #expect(bystander.isRunning)
        #expect(warden.events().allSatisfy { $0["reason"] as? String != "leftovers-ended" })
        #expect(!FileManager.default.fileExists(atPath: warden.stateDirectory + "/workers/\(bystander.pid)"))
        #expect(try warden.terminate() == 0)
        #expect(bystander.isRunning)
    }
}
