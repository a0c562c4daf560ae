import Synchronization
import Foundation
import Testing
import WardenAPI
import WardenControlTestSupport
import WardenTestSupport
@testable import WardenClient

#if canImport(Glibc)
import Glibc
#endif

@Suite("WardenClient details")
struct ClientTests {
    @Test("names are percent-encoded in the status query")
    func percentEncoding() {
        #expect(WardenClient.percentEncode("api:*") == "api:*")
        #expect(WardenClient.percentEncode("my app&x=1") == "my%20app%26x%3D1")
        #expect(WardenClient.percentEncode("é") == "%C3%A9")
    }

    @Test("a name with reserved characters reaches the supervisor intact")
    func reservedCharacters() async throws {
        try await withControlServer(FakeSupervisor()) { socket async throws in
            let error = await #expect(throws: WardenClientError.self) {
                try await WardenClient(socketPath: socket).status(names: ["a&name=b c"])
            }
            #expect(error?.description == "unknown process name \"a&name=b c\"")
        }
    }

    @Test("a slow query times out; a slow action does not block status")
    func timeouts() async throws {
        let control = FakeSupervisor()
        await control.setDelay(.seconds(1))
        try await withControlServer(control) { socket async throws in
            var impatient = WardenClient(socketPath: socket)
            impatient.queryTimeout = .milliseconds(100)
            await #expect(throws: WardenClientError.timedOut(socketPath: socket, after: .milliseconds(100))) {
                try await impatient.status(names: ["api"])
            }

            // A 1 s stop in flight; status of everything (no delay for names: []) answers meanwhile.
            let stopDone = Mutex(false)
            let stop = Task {
                let result = try await WardenClient(socketPath: socket).stop(names: ["worker"])
                stopDone.withLock { $0 = true }
                return result
            }
            try await Task.sleep(for: .milliseconds(100))
            let all = try await WardenClient(socketPath: socket).status()
            #expect(all.count == 4)
            // Status was answered while the stop was still in flight: actions do not block queries.
            #expect(!stopDone.withLock { $0 })
            #expect(try await stop.value.map(\.state) == [.stopped])
        }
    }

    @Test("exited processes are recognised, zombies included")
    func processExit() throws {
        #expect(!WardenClient.hasExited(getpid()))
        let child = try ChildProcess("/bin/true", stdout: .discard, stderr: .discard)
        let pid = child.pid
        // Wait without reaping until the child is a zombie; Foundation reaps it later.
        for _ in 0..<200 where !WardenClient.hasExited(pid) { usleep(10_000) }
        #expect(WardenClient.hasExited(pid))
        #expect(child.waitForExitBlocking(timeout: 10) == 0)
        #expect(WardenClient.hasExited(pid))
    }
}
