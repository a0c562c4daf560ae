import Foundation
import Glibc

/// A throwaway Alertmanager (Debian's `prometheus-alertmanager`) on a free loopback port, clustering off,
/// with its storage in a temporary directory and a route to a receiver that notifies no one: tests read
/// what it holds through `GET /api/v2/alerts`. Always call `stop()`, also when a test fails.
package final class AlertmanagerServer: Sendable {
    package static let binary = "/usr/bin/prometheus-alertmanager"

    package let port: Int
    private let directory: String
    private let process: ChildProcess

    private init(port: Int, directory: String, process: ChildProcess) {
        self.port = port; self.directory = directory; self.process = process
    }

    package var url: String { "http://127.0.0.1:\(port)" }

    /// Starts Alertmanager and waits up to 30 s until `/-/ready` answers.
    package static func start() async throws -> AlertmanagerServer {
        guard access(binary, X_OK) == 0 else {
            throw HarnessError("alertmanager is not installed (apt-get install -y prometheus-alertmanager)")
        }
        let directory = NSTemporaryDirectory() + "warden-alertmanager-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        try """
            route:
              receiver: nobody
              group_wait: 1s
            receivers:
              - name: nobody
            """.write(toFile: directory + "/alertmanager.yml", atomically: true, encoding: .utf8)
        let port = FreePort.loopback()
        let process = try ChildProcess(
            binary,
            ["--config.file=\(directory)/alertmanager.yml", "--storage.path=\(directory)/data",
             "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=", "--log.level=warn"],
            stdout: .discard, stderr: .capture)
        let server = AlertmanagerServer(port: port, directory: directory, process: process)
        do {
            try await HTTPReadiness.wait(for: process, port: port, name: "alertmanager", timeout: 30)
        } catch {
            await server.stop()
            throw error
        }
        return server
    }

    /// The alerts it holds now that are not resolved (`GET /api/v2/alerts`), parsed.
    package func alerts() async throws -> [[String: Any]] {
        let result = try await ChildProcess.run("/usr/bin/curl", ["-sS", url + "/api/v2/alerts"])
        guard result.status == 0, let alerts = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        else { throw HarnessError("GET /api/v2/alerts failed: \(result.stdout) \(result.stderr)") }
        return alerts
    }

    /// What it logged so far (warnings and errors).
    package var log: String { process.stderr.text }

    package func stop() async {
        await process.terminate(grace: 10)
        try? FileManager.default.removeItem(atPath: directory)
    }
}
