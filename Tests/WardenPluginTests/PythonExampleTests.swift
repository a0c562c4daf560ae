import Foundation
import Testing
import WardenTestSupport

/// etc/examples/collector-example.py speaks the same protocol: the protocol is language-neutral.
@Suite struct PythonExampleTests {
    let script = Paths.repository.appendingPathComponent("etc/examples/collector-example.py").path

    @Test func countsThisProcessConnectionsToAPort() async throws {
        let listener = try TestSockets.listen(host: "127.0.0.1")
        let clients = [try TestSockets.connect(host: "127.0.0.1", port: listener.port),
                       try TestSockets.connect(host: "127.0.0.1", port: listener.port)]
        let plugin = try ChildProcess("/usr/bin/env", ["python3", script], input: true)
        defer {
            plugin.kill()
            for fd in clients + [listener.fd] { close(fd) }
        }
        try plugin.send(helloLine(config: ["port": listener.port, "host": "127.0.0.1", "max": 10]))
        let hello = try #require(await plugin.nextObject())
        #expect(hello["type"] as? String == "hello")
        #expect(hello["protocol_version"] as? Int == 1)
        #expect(hello["capabilities"] as? [String] == ["pools"])

        try plugin.send(collectLine(seq: 41, workers: [("tester:0", getpid()), ("gone:0", 999_999)]))
        let answer = try #require(await plugin.nextObject())
        #expect(answer["type"] as? String == "samples")
        #expect(answer["seq"] as? Int == 41)
        let pool = try #require((answer["pools"] as? [[String: Any]])?.first)
        #expect(pool["pool"] as? String == "tcp://127.0.0.1:\(listener.port)")
        #expect(pool["max"] as? Int == 10)
        #expect(pool["by_worker"] as? [String: Int] == ["tester:0": 2, "gone:0": 0])
        #expect(pool["unattributed"] as? Int == 0)
        #expect((pool["in_use"] as? Int ?? -1) + (pool["idle"] as? Int ?? -1) == 2)

        try plugin.send(#"{"type":"shutdown"}"#)
        #expect(await plugin.waitForExit() == 0)
    }

    @Test func refusesAnotherProtocolVersion() async throws {
        let plugin = try ChildProcess("/usr/bin/env", ["python3", script], input: true)
        defer { plugin.kill() }
        try plugin.send(helloLine(config: ["port": 1], protocolVersion: 2))
        let error = try #require(await plugin.nextObject())
        #expect(error["type"] as? String == "error")
        #expect(error["seq"] is NSNull)
        #expect(await plugin.waitForExit() == 1)
    }
}
