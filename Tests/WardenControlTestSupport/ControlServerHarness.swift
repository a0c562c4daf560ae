import Foundation
import Logging
import ServiceLifecycle
import Synchronization
package import WardenAPI
package import WardenHTTP
import WardenTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A private directory under /tmp (mode 0700, short path: unix socket paths are limited to 107 bytes).
package func makeTemporaryDirectory() -> String {
    var template = Array("/tmp/wdn-XXXXXX".utf8CString)
    let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(created != nil, "mkdtemp failed")
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Removes `directory` and the files directly in it.
package func removeTemporaryDirectory(_ directory: String) {
    if let dir = opendir(directory) {
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { unlink(directory + "/" + name) }
        }
        closedir(dir)
    }
    rmdir(directory)
}

/// A thread-safe one-way boolean.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// Runs the real control server for `control` on a fresh socket inside a ServiceGroup, waits until it is
/// bound and restricted (onRunning), runs `body` with the socket path, then shuts the group down
/// gracefully and waits for it, whatever `body` did.
package func withControlServer<T: Sendable>(
    _ control: FakeSupervisor,
    history: (any HistoryQuerying)? = nil,
    limits: APILimits = APILimits(),
    _ body: (String) async throws -> T
) async throws -> T {
    let directory = makeTemporaryDirectory()
    defer { removeTemporaryDirectory(directory) }
    let socketPath = directory + "/warden.sock"
    let running = Flag()
    var logger = Logger(label: "warden.test.http")
    logger.logLevel = .warning
    let server = makeControlServer(control: control, history: history, socketPath: socketPath, limits: limits, logger: logger) {
        running.set()
    }
    let group = ServiceGroup(configuration: .init(services: [server], logger: logger))

    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let outcome: Result<T, any Error>
        do {
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(20)
            while !running.isSet {
                guard clock.now < deadline else { throw HarnessError("server did not start in 20 s") }
                try await Task.sleep(for: .milliseconds(10))
            }
            outcome = .success(try await body(socketPath))
        } catch {
            outcome = .failure(error)
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return try outcome.get()
    }
}

/// Runs the real TCP listener (`makeTCPServer`) for `control` on 127.0.0.1 and an ephemeral port inside a
/// ServiceGroup, runs `body` with the bound port, then shuts the group down gracefully, whatever `body` did.
package func withTCPServer(
    _ control: any SupervisorControl, token: String, metrics: (any MetricsSource)? = nil,
    browser: (any BrowserFrontend)? = nil, _ body: (Int) async throws -> Void
) async throws {
    let port = Mutex<Int?>(nil)
    var logger = Logger(label: "warden.test.tcp")
    logger.logLevel = .warning
    let server = makeTCPServer(
        control: control, metrics: metrics, host: "127.0.0.1", port: 0, token: Array(token.utf8), browser: browser,
        logger: logger) { bound in port.withLock { $0 = bound } }
    let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let outcome: Result<Void, any Error>
        do {
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(20)
            while port.withLock({ $0 }) == nil {
                guard clock.now < deadline else { throw HarnessError("TCP server did not start in 20 s") }
                try await Task.sleep(for: .milliseconds(10))
            }
            outcome = .success(try await body(port.withLock { $0 }!))
        } catch {
            outcome = .failure(error)
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        try outcome.get()
    }
}

/// One raw HTTP/1.1 exchange over a POSIX unix socket: writes `request` verbatim and reads until EOF.
///
/// The blocking socket calls run on a dedicated thread: blocking the (2-thread) cooperative pool would
/// starve the server's request handlers.
/// - Returns: the status code, the head (status line and headers) and the body (after the blank line).
package func rawHTTP(socketPath: String, _ request: String) async throws -> (status: Int, head: String, body: String) {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try blockingRawHTTP(socketPath: socketPath, request) }) }.start()
    }
}

/// A blocking stream socket connected to the unix socket at `socketPath`; the caller closes it.
package func connectUnixSocket(_ socketPath: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket() failed") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let pathBytes = Array(socketPath.utf8)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: pathBytes)
        raw[pathBytes.count] = 0
    }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard connected == 0 else {
        let code = errno
        close(fd)
        throw HarnessError("connect() failed: errno \(code)")
    }
    return fd
}

private func blockingRawHTTP(socketPath: String, _ request: String) throws -> (status: Int, head: String, body: String) {
    let fd = try connectUnixSocket(socketPath)
    defer { close(fd) }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

    let bytes = Array(request.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard written > 0 else { throw HarnessError("send() failed: errno \(errno)") }
        offset += written
    }
    var answer: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { break }
        answer += chunk[..<count]
    }
    let text = String(decoding: answer, as: UTF8.self)
    guard text.hasPrefix("HTTP/1.1 "), let code = Int(text.dropFirst(9).prefix(3)) else {
        throw HarnessError("not an HTTP answer: \(text.prefix(200))")
    }
    let blank = text.range(of: "\r\n\r\n")
    let head = blank.map { String(text[..<$0.upperBound]) } ?? text
    let body = blank.map { String(text[$0.upperBound...]) } ?? ""
    return (code, head, body)
}

/// An HTTP/1.1 POST with a JSON body and `Connection: close`.
package func rawPOST(_ path: String, body: String) -> String {
    "POST \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\n"
        + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
}
