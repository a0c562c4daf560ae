import Foundation
import Testing
import WardenTestSupport

/// Holds `count` TCP connections to a Redis port from a separate process (python3, standard library only);
/// with `multi`, the first connection opens a MULTI block and leaves it open. Prints `ready` once connected;
/// exits when its stdin closes.
let holderScript = """
import socket, sys
count, port, multi = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "multi"
conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
if multi:
    conns[0].sendall(b"*1\\r\\n$5\\r\\nMULTI\\r\\n")
    assert conns[0].recv(16).startswith(b"+OK")
print("ready", flush=True)
sys.stdin.read()
"""

/// Holds `count` connections to the Redis unix socket at argv[2]; prints `ready`; exits when stdin closes.
let unixHolderScript = """
import socket, sys
conns = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[2]); s.sendall(b"PING\\r\\n")
    assert s.recv(16).startswith(b"+PONG"); conns.append(s)
print("ready", flush=True)
sys.stdin.read()
"""

/// The shipped Redis collector binary, run through the protocol against a real redis-server.
@Suite(.serialized) struct RedisCollectorTests {
    @Test func attributesConnectionsAndExcludesItsOwn() async throws {
        let server = try await RedisServer.start()
        let holder = try ChildProcess("/usr/bin/env", ["python3", "-c", holderScript, "3", String(server.port), "multi"], input: true)
        let plugin = try ChildProcess(Paths.redisCollector, [], input: true)
        var ownFDs: [Int32] = []
        defer {
            for fd in ownFDs { close(fd) }
            holder.kill()
            plugin.kill()
        }
        #expect(await holder.stdout.next() == "ready")
        // Two more connections held by this test process, attributed to a second worker.
        ownFDs = [try TestSockets.connect(host: "127.0.0.1", port: server.port),
                  try TestSockets.connect(host: "127.0.0.1", port: server.port)]
        try await Task.sleep(for: .milliseconds(1500))  // the MULTI client becomes idle for >= 1 s

        try plugin.send(helloLine(config: ["url": "redis://127.0.0.1:\(server.port)"], longRunningSeconds: 1))
        let hello = try #require(await plugin.nextObject())
        #expect(hello["type"] as? String == "hello")
        #expect(hello["name"] as? String == "warden-collector-redis")
        #expect(hello["protocol_version"] as? Int == 1)

        for seq in 1...2 {  // the second round reuses the persistent connection
            try plugin.send(collectLine(seq: seq, workers: [("holder:0", holder.pid), ("tester:0", getpid())]))
            let answer = try #require(await plugin.nextObject())
            #expect(answer["type"] as? String == "samples")
            #expect(answer["seq"] as? Int == seq)
            let pool = try #require((answer["pools"] as? [[String: Any]])?.first)
            #expect(pool["pool"] as? String == "redis://127.0.0.1:\(server.port)")
            #expect(pool["max"] as? Int == 10000)
            #expect(pool["by_worker"] as? [String: Int] == ["holder:0": 3, "tester:0": 2])
            // The collector's own connection is in CLIENT LIST but counted nowhere.
            #expect(pool["unattributed"] as? Int == 0)
            let inUse = try #require(pool["in_use"] as? Int), idle = try #require(pool["idle"] as? Int)
            #expect(inUse + idle == 5)
            #expect(inUse >= 1)  // the client in MULTI
            #expect(pool["waiting"] as? Int == 0)
            let long = try #require(pool["long_running"] as? [[String: Any]])
            #expect(long.count == 1)
            #expect(long.first?["worker"] as? String == "holder:0")
            #expect(long.first?["state"] as? String == "multi (0 queued)")
            #expect((long.first?["age_seconds"] as? Double ?? 0) >= 1)
            #expect(pool["collected_at"] is String)
        }
        try plugin.send(#"{"type":"shutdown"}"#)
        #expect(await plugin.waitForExit() == 0)
        try holder.closeInput()
        _ = await holder.waitForExit()
        await server.stop()
    }

    @Test func unixSocketClientsAreAttributedThroughTheServersDescriptor() async throws {
        let directory = "/tmp/wr-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await RedisServer.start(unixSocket: "\(directory)/redis.sock")
        let holder = try ChildProcess("/usr/bin/env", ["python3", "-c", unixHolderScript, "3", "\(directory)/redis.sock"], input: true)
        let stranger = try ChildProcess("/usr/bin/env", ["python3", "-c", unixHolderScript, "1", "\(directory)/redis.sock"], input: true)
        let plugin = try ChildProcess(Paths.redisCollector, [], input: true)
        defer { holder.kill(); stranger.kill(); plugin.kill() }
        #expect(await holder.stdout.next() == "ready")
        #expect(await stranger.stdout.next() == "ready")

        // The collector connects over TCP; its unix-socket clients are followed from the server's side.
        try plugin.send(helloLine(config: ["url": "redis://127.0.0.1:\(server.port)"]))
        #expect(await plugin.nextObject()?["type"] as? String == "hello")
        try plugin.send(collectLine(seq: 1, workers: [("holder:0", holder.pid)]))
        let answer = try #require(await plugin.nextObject())
        let pool = try #require((answer["pools"] as? [[String: Any]])?.first, "answer: \(answer)")
        #expect(pool["by_worker"] as? [String: Int] == ["holder:0": 3], "CLIENT LIST fd -> /proc/REDIS/fd -> unix_diag peer")
        #expect(pool["unattributed"] as? Int == 1, "the unsupervised client")
        #expect(pool["backend_memory"] is NSNull, "Redis serves every client from one process")
        try plugin.send(#"{"type":"shutdown"}"#)
        #expect(await plugin.waitForExit() == 0)
        try holder.closeInput(); try stranger.closeInput()
        _ = await holder.waitForExit(); _ = await stranger.waitForExit()
        await server.stop()
    }

    @Test func wrongPasswordIsAnErrorWithoutThePassword() async throws {
        let server = try await RedisServer.start(password: "right-horse-battery")
        let plugin = try ChildProcess(Paths.redisCollector, [], input: true)
        defer { plugin.kill() }
        try plugin.send(helloLine(config: ["url": "redis://default:wrong-staple-9731@127.0.0.1:\(server.port)"]))
        #expect(await plugin.nextObject()?["type"] as? String == "hello")
        try plugin.send(collectLine(seq: 5, workers: []))
        let error = try #require(await plugin.nextObject())
        #expect(error["type"] as? String == "error")
        #expect(error["seq"] as? Int == 5)
        let message = try #require(error["message"] as? String)
        #expect(message.contains("WRONGPASS"))
        #expect(message.contains("redis://127.0.0.1:\(server.port)"))
        #expect(!message.contains("wrong-staple-9731"))
        // The right password works on the same plugin kind; no password at all is refused by the server.
        let good = try ChildProcess(Paths.redisCollector, [], input: true)
        defer { good.kill() }
        try good.send(helloLine(config: ["url": "redis://:right-horse-battery@127.0.0.1:\(server.port)"]))
        _ = await good.nextObject()
        try good.send(collectLine(seq: 1, workers: []))
        let samples = try #require(await good.nextObject())
        #expect(samples["type"] as? String == "samples")
        #expect(!(String(describing: samples)).contains("right-horse-battery"))
        try good.closeInput()
        #expect(await good.waitForExit() == 0)

        try plugin.closeInput()
        #expect(await plugin.waitForExit() == 0)
        let stderr = await plugin.stderr.rest(timeout: 1)
        #expect(!stderr.joined().contains("wrong-staple-9731"))
        await server.stop()
    }

    @Test func serverDownIsAnErrorForTheRoundAndTheNextRoundReconnects() async throws {
        let server = try await RedisServer.start()
        let plugin = try ChildProcess(Paths.redisCollector, [], input: true)
        defer { plugin.kill() }
        try plugin.send(helloLine(config: ["url": "redis://127.0.0.1:\(server.port)"], timeoutSeconds: 2))
        _ = await plugin.nextObject()
        try plugin.send(collectLine(seq: 1, workers: []))
        #expect(await plugin.nextObject()?["type"] as? String == "samples")
        await server.stop()
        try plugin.send(collectLine(seq: 2, workers: []))
        let failure = try #require(await plugin.nextObject())
        #expect(failure["type"] as? String == "error")
        #expect(failure["seq"] as? Int == 2)
        try plugin.send(#"{"type":"shutdown"}"#)
        #expect(await plugin.waitForExit() == 0)
    }
}

/// The kit runtime as seen from outside: the real binary on pipes, no server needed.
@Suite struct PluginRuntimeTests {
    @Test func badURLIsAnErrorWithoutTheURLAndExitStatusOne() async throws {
        let plugin = try ChildProcess(Paths.redisCollector, [], input: true)
        defer { plugin.kill() }
        try plugin.send(helloLine(config: ["url": "rediss://user:hunter2-secret@127.0.0.1:6379"]))
        let error = try #require(await plugin.nextObject())
        #expect(error["type"] as? String == "error")
        #expect(error["seq"] is NSNull)
        let message = try #require(error["message"] as? String)
        #expect(message.contains("config.url"))
        #expect(!message.contains("hunter2-secret"))
        #expect(await plugin.waitForExit() == 1)
    }

    @Test func missingURLIsAnError() async throws {
        let plugin = try ChildProcess(Paths.redisCollector, [], input: true)
        defer { plugin.kill() }
        try plugin.send(helloLine(config: [:]))
        #expect(await plugin.nextObject()?["message"] as? String == "config.url is required (redis://[user:password@]host:port)")
        #expect(await plugin.waitForExit() == 1)
    }

    @Test func protocolVersionMismatchExitsOne() async throws {
        let plugin = try ChildProcess(Paths.redisCollector, [], input: true)
        defer { plugin.kill() }
        try plugin.send(helloLine(config: ["url": "redis://127.0.0.1:1"], protocolVersion: 99))
        let error = try #require(await plugin.nextObject())
        #expect(error["type"] as? String == "error")
        #expect((error["message"] as? String)?.contains("protocol version mismatch") == true)
        #expect(await plugin.waitForExit() == 1)
    }

    @Test func garbageAndOversizedLinesAreIgnoredAndEOFExitsZero() async throws {
        let plugin = try ChildProcess(Paths.redisCollector, [], input: true)
        defer { plugin.kill() }
        try plugin.send("this is not json")
        try plugin.write(Data(repeating: UInt8(ascii: "x"), count: (1 << 20) + 10) + Data("\n".utf8))
        try plugin.send(#"{"type":"collect","seq":3,"workers":[]}"#)
        let early = try #require(await plugin.nextObject())
        #expect(early["type"] as? String == "error" && early["seq"] as? Int == 3)
        try plugin.send(helloLine(config: ["url": "redis://127.0.0.1:1"]))
        #expect(await plugin.nextObject()?["type"] as? String == "hello")
        try plugin.closeInput()
        #expect(await plugin.waitForExit() == 0)
        let diagnostics = await plugin.stderr.rest(timeout: 2)
        #expect(diagnostics.contains { $0.contains("not a valid Warden message") })
        #expect(diagnostics.contains { $0.contains("\((1 << 20) + 10) bytes") })
        #expect(await plugin.stdout.rest(timeout: 1).isEmpty)
    }
}
