/// Program tables shared by tests that run a real Warden (`WORKLOAD` stands for the warden-workload binary,
/// replaced by each harness).
public enum ProgramSnippets {
    /// `[programs.crasher]`: runs 0.3 s (RUNNING after 0.1 s), exits with status 3, restarted at once; a
    /// restart loop after 3 restarts within 30 s, resolved after `quiet` without one; `extra` lines appended.
    public static func crashLoop(quiet: String = "3s", _ extra: String = "") -> String {
        """
        [programs.crasher]
        command = ["WORKLOAD", "crash", "--after", "0.3"]
        start_seconds = "100ms"
        start_limit_burst = 0
        loop_restarts = 3
        loop_window = "30s"
        alert_quiet = "\(quiet)"
        \(extra)
        """
    }
}
