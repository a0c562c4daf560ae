import Foundation

/// A fresh directory under /tmp for helper scripts, created before Warden starts (short, for socket paths).
func scriptDirectory() throws -> URL {
    let dir = URL(fileURLWithPath: "/tmp").appendingPathComponent("ws-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// Writes `text` as an executable file `name` in `dir`; returns its path.
func writeScript(_ text: String, named name: String, in dir: URL) throws -> String {
    let path = dir.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o755)
    return path
}

/// A program that leaks 900 MiB/min, graded over 5 s and restarted for memory-growth within seconds.
let fastLeakingProgram = """
    [programs.leaky]
    command = ["WORKLOAD", "leak", "--mb-per-min", "900"]
    start_seconds = "200ms"
    stop_timeout = "2s"
    [programs.leaky.leak]
    window = "5s"
    sustain = "1s"
    """

/// A `[programs.NAME]` table running the workload with `arguments` (TOML array items), restarted always,
/// with a leak `window` and `sustain`: the program section of the leak end-to-end tests.
func workloadProgram(_ name: String, _ arguments: String, window: String, sustain: String) -> String {
    """

    [programs.\(name)]
    command = ["WORKLOAD", \(arguments)]
    start_seconds = "100ms"
    stop_timeout = "3s"
    restart = "always"
    [programs.\(name).leak]
    window = "\(window)"
    sustain = "\(sustain)"

    """
}
