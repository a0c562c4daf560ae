import Foundation
import Glibc

/// A throwaway HTTP receiver for notification tests: Python's `http.server` on a free loopback port,
/// recording every request (arrival time, path, headers, body) as one JSON line, and answering as told:
/// `204`, another status with an optional `Retry-After`, or only after sleeping (a slow endpoint).
///
/// `start` returns once the port accepts connections. Always call `stop()`, also when a test fails.
package final class WebhookReceiver: Sendable {
    /// How the receiver answers every request.
    package enum Answer: Sendable {
        case status(Int, retryAfter: String? = nil)
        /// Sleeps `seconds`, then answers 204.
        case sleep(Double)
    }

    /// One request as received.
    package struct Request: Sendable {
        /// When the request's body had arrived, seconds since the Unix epoch.
        package var time: Double
        package var path: String
        /// Header names lower-cased.
        package var headers: [String: String]
        package var body: [UInt8]
        package var text: String { String(decoding: body, as: UTF8.self) }
    }

    package let port: Int
    private let directory: String
    private let process: ChildProcess

    private init(port: Int, directory: String, process: ChildProcess) {
        self.port = port; self.directory = directory; self.process = process
    }

    package var url: String { "http://127.0.0.1:\(port)" }

    static let script = #"""
        import base64, json, sys, time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        port, log, mode, arg, retry_after = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                record = {"time": time.time(), "path": self.path, "body": base64.b64encode(body).decode(),
                          "headers": {k.lower(): v for k, v in self.headers.items()}}
                with open(log, "a") as f:
                    f.write(json.dumps(record) + "\n")
                status = 204
                if mode == "sleep":
                    time.sleep(float(arg))
                elif mode == "status":
                    status = int(arg)
                self.send_response(status)
                if retry_after:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()
            def log_message(self, *args):
                pass
        ThreadingHTTPServer.daemon_threads = True
        ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
        """#

    /// Starts a receiver answering `answer`; waits up to 10 s for its port.
    package static func start(answer: Answer = .status(204)) async throws -> WebhookReceiver {
        let directory = NSTemporaryDirectory() + "warden-webhook-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try script.write(toFile: directory + "/receiver.py", atomically: true, encoding: .utf8)
        let port = FreePort.loopback()
        let (mode, argument, retryAfter): (String, String, String) = switch answer {
        case .status(let code, let retryAfter): ("status", "\(code)", retryAfter ?? "")
        case .sleep(let seconds): ("sleep", "\(seconds)", "")
        }
        let process = try ChildProcess(
            "/usr/bin/python3", [directory + "/receiver.py", "\(port)", directory + "/requests.jsonl", mode, argument, retryAfter],
            stdout: .discard, stderr: .capture)
        let receiver = WebhookReceiver(port: port, directory: directory, process: process)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if Self.accepts(port: port) { return receiver }
            if !process.isRunning { throw HarnessError("the webhook receiver exited: \(process.stderr.text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        await receiver.stop()
        throw HarnessError("the webhook receiver did not listen on \(port) within 10 s")
    }

    /// Every request received so far, in arrival order.
    package func requests() -> [Request] {
        guard let text = try? String(contentsOfFile: directory + "/requests.jsonl", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let time = object["time"] as? Double, let path = object["path"] as? String,
                  let body = (object["body"] as? String).flatMap({ Data(base64Encoded: $0) })
            else { return nil }
            return Request(time: time, path: path, headers: object["headers"] as? [String: String] ?? [:], body: Array(body))
        }
    }

    /// Waits up to `timeout` seconds for a request matching `predicate`.
    package func waitForRequest(timeout: Double, _ predicate: (Request) -> Bool) async throws -> Request {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let found = requests().first(where: predicate) { return found }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("no matching request within \(timeout) s; received \(requests().count): "
            + requests().map(\.text).joined(separator: "\n"))
    }

    package func stop() async {
        await process.terminate(grace: 5)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Whether a TCP connect to 127.0.0.1:`port` succeeds.
    package static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
