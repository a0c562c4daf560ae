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
