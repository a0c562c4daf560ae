import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import WardenAPI
import WardenControlTestSupport
import WardenHTTP
import WardenTestSupport

/// The TCP listener (`[http] listen`): the same API behind a bearer token, on a real socket, asked by curl.
@Suite("Control API over TCP with a bearer token")
struct TCPListenerTests {
    static let token = "s3cret-token-0123456789abcdef"

    /// A `MetricsSource` with fixed text.
    struct FixedMetrics: MetricsSource {
        func render() -> [UInt8] { Array("# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n".utf8) }
    }

    /// Runs the TCP server on 127.0.0.1 and an ephemeral port, and `body` with that port.
    static func withTCPServer(_ body: (Int) async throws -> Void) async throws {
        try await WardenControlTestSupport.withTCPServer(FakeSupervisor(), token: token, metrics: FixedMetrics(), body)
    }

    /// curl's status code, `WWW-Authenticate` header and body for `path` with these extra arguments.
    static func get(_ port: Int, _ path: String, _ arguments: [String] = []) async throws -> (status: Int, head: String, body: String) {
        let result = try await ChildProcess.run(
            "/usr/bin/curl", ["-sS", "-D", "/dev/stderr", "-o", "-", "-w", "\n%{http_code}"] + arguments + ["http://127.0.0.1:\(port)\(path)"])
        var lines = result.stdout.components(separatedBy: "\n")
        let status = Int(lines.removeLast()) ?? -1
        return (status, result.stderr, lines.joined(separator: "\n"))
    }

    @Test("one client address holds at most 16 of the 128 connections; another address is still served")
    func perClientCap() async throws {
        try await Self.withTCPServer { port in
            let held = try await onThread { try (0..<16).map { _ in try Self.connect(port: port, from: "127.0.0.1") } }
            defer { for fd in held { close(fd) } }
            let extra = try await onThread { try Self.connect(port: port, from: "127.0.0.1") }
            defer { close(extra) }
            let closedAtOnce = try await onThread { Self.readsEOF(extra, within: 5) }
            #expect(closedAtOnce, "the 17th connection from one address is closed when accepted")
            let other = try await Self.get(port, "/v1/health", ["--interface", "127.0.0.2", "-H", "Authorization: Bearer \(Self.token)"])
            #expect(other.status == 200, "\(other)")
        }
    }

    /// A TCP connection to 127.0.0.1:`port` from the loopback address `source` (any 127.x.y.z works on Linux).
    static func connect(port: Int, from source: String) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        func address(_ text: String, _ port: Int) -> sockaddr_in {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, text, &address.sin_addr)
            return address
        }
        var local = address(source, 0), remote = address("127.0.0.1", port)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, connected == 0 else { close(fd); throw HarnessError("bind/connect: errno \(errno)") }
        return fd
    }

    /// Whether the server closes `fd` (EOF or reset) within `seconds`, nothing sent.
    static func readsEOF(_ fd: Int32, within seconds: Int) -> Bool {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, 0)
        return count == 0 || (count < 0 && errno == ECONNRESET)
    }

    @Test("no token, a wrong one, another scheme or a prefix of the right one: 401 with WWW-Authenticate: Bearer, before any route")
    func refused() async throws {
        try await Self.withTCPServer { port in
            for arguments in [[], ["-H", "Authorization: Bearer wrong"], ["-H", "Authorization: Basic \(Self.token)"],
                              ["-H", "Authorization: Bearer \(Self.token.dropLast())"],
                              ["-H", "Authorization: Bearer \(Self.token)x"], ["-H", "Authorization: Bearer"]] {
                for path in ["/v1/health", "/metrics", "/v1/nothing"] {
                    let answer = try await Self.get(port, path, arguments)
                    #expect(answer.status == 401, "\(arguments) \(path)")
                    #expect(answer.head.lowercased().contains("www-authenticate: bearer"))
                    #expect(answer.body.contains("\"field\":\"authorization\""))
                }
            }
            let post = try await Self.get(port, "/v1/processes/stop", ["-X", "POST", "-d", #"{"names":["all"]}"#])
            #expect(post.status == 401, "an unauthenticated action is refused")
        }
    }

    @Test("the right token opens every route: the API, its errors and /metrics")
    func accepted() async throws {
        try await Self.withTCPServer { port in
            let auth = ["-H", "Authorization: Bearer \(Self.token)"]
            let health = try await Self.get(port, "/v1/health", auth)
            #expect(health.status == 200 && health.body.contains("\"status\":\"ok\""))
            let lower = try await Self.get(port, "/v1/processes", ["-H", "Authorization: bearer \(Self.token)"])
            #expect(lower.status == 200, "the scheme is case-insensitive")
            let metrics = try await Self.get(port, "/metrics", auth)
            #expect(metrics.status == 200 && metrics.body.contains("x_total 1"))
            #expect(metrics.head.lowercased().contains("content-type: text/plain; version=0.0.4"))
            let unknown = try await Self.get(port, "/v1/processes?name=nope", auth)
            #expect(unknown.status == 404)
        }
    }

    @Test("constant-time comparison: equal only for the same bytes, whatever the lengths")
    func comparison() {
        let token = Array(Self.token.utf8)
        #expect(BearerTokenCheck.matches("Bearer \(Self.token)", token: token))
        #expect(BearerTokenCheck.matches("BEARER \(Self.token)", token: token))
        #expect(!BearerTokenCheck.matches("Bearer  \(Self.token)", token: token))
        #expect(!BearerTokenCheck.matches("Bearer \(Self.token) ", token: token))
        #expect(!BearerTokenCheck.matches("Bearer ", token: token))
        #expect(!BearerTokenCheck.matches(Self.token, token: token))
        #expect(!BearerTokenCheck.matches("Bearer x", token: []))
    }
}
