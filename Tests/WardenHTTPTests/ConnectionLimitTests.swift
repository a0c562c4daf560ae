import Foundation
import Testing
import WardenAPI
import WardenClient
import WardenControlTestSupport
import WardenHTTP
import WardenTestSupport

/// A raw connection to the control socket, driven with blocking POSIX calls (on the test's thread:
/// these tests do their socket work through `onThread`).
final class RawConnection {
    let fd: Int32

    init(_ socketPath: String) throws { fd = try connectUnixSocket(socketPath) }

    func send(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
    func endOutput() { shutdown(fd, Int32(SHUT_WR)) }

    /// Everything until the server closes, or `nil` when it has not closed within `seconds`.
    func readToEOF(within seconds: Int) -> String? {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return String(decoding: answer, as: UTF8.self) }
            if count < 0 { return errno == ECONNRESET ? String(decoding: answer, as: UTF8.self) : nil }
            answer += chunk[..<count]
        }
    }

    deinit { close(fd) }
}

/// Runs blocking work on its own thread (the cooperative pool must stay free for the server).
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

@Suite("Control API limits")
struct ConnectionLimitTests {
    @Test("connections beyond api_max_connections are closed at once; a freed slot serves again")
    func connectionCap() async throws {
        try await withControlServer(FakeSupervisor(), limits: APILimits(maxConnections: 3)) { socket async throws in
            try await onThread {
                let held = try (0..<3).map { _ in try RawConnection(socket) }
                usleep(200_000)
                let extra = try RawConnection(socket)
                #expect(extra.readToEOF(within: 5) == "")
                // The three held ones are still open (no EOF within a short wait).
                #expect(held[0].readToEOF(within: 1) == nil)
                _ = held.count
            }
            // Closed again: a request is served.
            #expect(try await WardenClient(socketPath: socket).health().status == "ok")
        }
    }

    @Test("an idle connection, slow headers and a slow body are closed after api_idle_timeout")
    func timeouts() async throws {
        try await withControlServer(FakeSupervisor(), limits: APILimits(idleTimeout: .milliseconds(500))) { socket async throws in
            try await onThread {
                let idle = try RawConnection(socket)
                let slowHead = try RawConnection(socket)
                slowHead.send("GET /v1/health HTTP/1.1\r\nHost: x\r\n")
                let slowBody = try RawConnection(socket)
                slowBody.send("POST /v1/processes/stop HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"names\":")
                let started = Date()
                for connection in [idle, slowHead, slowBody] { #expect(connection.readToEOF(within: 5) != nil) }
                #expect(Date().timeIntervalSince(started) < 4)
            }
        }
    }

    @Test("a truncated body and a bad chunk size are 400, not 500")
    func truncatedBodies() async throws {
        try await withControlServer(FakeSupervisor()) { socket async throws in
            try await onThread {
                let truncated = try RawConnection(socket)
                truncated.send("POST /v1/processes/stop HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"names\":")
                truncated.endOutput()
                let answer = truncated.readToEOF(within: 5) ?? ""
                #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
                #expect(answer.contains("truncated or badly chunked"))

                let chunked = try RawConnection(socket)
                chunked.send("POST /v1/processes/stop HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
                let bad = chunked.readToEOF(within: 5) ?? ""
                #expect(bad.hasPrefix("HTTP/1.1 400"), "\(bad)")
            }
            #expect(try await WardenClient(socketPath: socket).health().status == "ok")
        }
    }

    @Test("a name longer than any process name is a 400 quoting only its beginning")
    func longName() async throws {
        let control = FakeSupervisor()
        try await withControlServer(control) { socket async throws in
            let name = String(repeating: "a", count: 900_000)
            let answer = try await rawHTTP(socketPath: socket, rawPOST(APIRoute.stop, body: #"{"names": [""# + name + #""]}"#))
            #expect(answer.status == 400)
            #expect(answer.body.count < 600, "\(answer.body.prefix(300))")
            #expect(answer.body.contains("is 900000 bytes"))
            #expect(answer.body.contains("…"))
        }
        #expect(await control.calls.allSatisfy { !$0.contains("aaaa") })
    }
}
