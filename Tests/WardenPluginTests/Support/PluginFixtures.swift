import Foundation
import WardenTestSupport

extension ChildProcess {
    /// The next stdout line decoded as a JSON object (`nil` on timeout, end of output or a non-object).
    func nextObject(timeout: Double = 10) async -> [String: Any]? {
        guard let line = await stdout.next(timeout: timeout) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }
}

/// Paths of built products and repository files.
enum Paths {
    static var redisCollector: String { BuiltProducts.path("warden-collector-redis") }
    static var repository: URL { BuiltProducts.repository }
}

/// JSON text of a `hello` from Warden.
func helloLine(config: [String: Any], protocolVersion: Int = 1, longRunningSeconds: Double = 300, timeoutSeconds: Double = 5) -> String {
    let object: [String: Any] = [
        "type": "hello", "protocol_version": protocolVersion, "collector": "test", "interval_seconds": 10,
        "timeout_seconds": timeoutSeconds, "long_running_seconds": longRunningSeconds, "config": config,
    ]
    return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}

/// JSON text of a `collect` from Warden.
func collectLine(seq: Int, workers: [(name: String, pid: Int32)]) -> String {
    let list: [[String: Any]] = workers.map {
        ["name": $0.name, "program": String($0.name.split(separator: ":").first ?? ""), "pid": $0.pid, "tree_pids": [$0.pid]]
    }
    let object: [String: Any] = ["type": "collect", "seq": seq, "workers": list]
    return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}
