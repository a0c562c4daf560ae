import Foundation
import Glibc

/// A throwaway Prometheus server (Debian's `prometheus`) on a free loopback port, for tests.
///
/// Started with the given configuration (written to a temporary directory that also holds the TSDB);
/// `start` returns once `/-/ready` answers 200. `query` runs an instant PromQL query through the HTTP API.
/// `stop()` sends SIGTERM, waits for the exit (SIGKILL after 10 s) and removes the directory. Always call
/// `stop()`, also when a test fails.
package final class PrometheusServer: Sendable {
    package let port: Int
    package let directory: String
    private let process: ChildProcess

    private init(port: Int, directory: String, process: ChildProcess) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    /// Starts `prometheus` with `configuration` (YAML) and waits up to 30 s until it is ready.
    package static func start(configuration: String) async throws -> PrometheusServer {
        guard access("/usr/bin/prometheus", X_OK) == 0 else {
            throw HarnessError("prometheus is not installed (apt-get install -y prometheus)")
        }
        let directory = NSTemporaryDirectory() + "warden-prometheus-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        try configuration.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
        let port = FreePort.loopback()
        let process = try ChildProcess(
            "/usr/bin/prometheus",
            ["--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/data",
             "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"],
            stdout: .discard, stderr: .capture)
        let server = PrometheusServer(port: port, directory: directory, process: process)
        do {
            try await HTTPReadiness.wait(for: process, port: port, name: "prometheus", timeout: 30)
        } catch {
            await server.stop()
            throw error
        }
        return server
    }

    /// The `data.result` array of an instant query, parsed.
    package func query(_ promql: String) async throws -> [[String: Any]] {
        let result = try await ChildProcess.run(
            "/usr/bin/curl", ["-sS", "--get", "--data-urlencode", "query=\(promql)", "http://127.0.0.1:\(port)/api/v1/query"])
        guard result.status == 0,
              let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
              let data = object["data"] as? [String: Any], let series = data["result"] as? [[String: Any]]
        else { throw HarnessError("query \(promql) failed: \(result.stdout) \(result.stderr)") }
        return series
    }

    /// What the server logged so far (warnings and errors).
    package var log: String { process.stderr.text }

    package func stop() async {
        await process.terminate(grace: 10)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Waiting for a server started by a test (Prometheus, Alertmanager) to answer `GET /-/ready` with 200.
enum HTTPReadiness {
    /// Returns once `http://127.0.0.1:PORT/-/ready` answers 200; throws when `process` exits first or `timeout`
    /// seconds pass.
    static func wait(for process: ChildProcess, port: Int, name: String, timeout: Double) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let ready = try? await ChildProcess.run(
                "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/-/ready"]),
               ready.stdout == "200" {
                return
            }
            if !process.isRunning { throw HarnessError("\(name) exited during startup: \(process.stderr.text)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("\(name) was not ready on port \(port) within \(Int(timeout)) s")
    }
}
