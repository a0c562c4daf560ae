/// The reasons of events that are not state transitions (those are `TransitionReason`): one name table.
/// `docs/events.md` lists which event kind carries which reason.
public enum EventReason: String, Codable, Sendable, CaseIterable, ReasonVocabulary {
    /// `supervisor`: Warden started.
    case started
    /// `process-added`: the instance is in the configuration Warden started with.
    case configured
    /// `watchdog`: no `WATCHDOG=1` within the program's `watchdog`.
    case missedPing = "missed-ping"
    /// `watchdog`: the process sent `WATCHDOG=trigger`.
    case trigger
    /// `notify`: the process's `ERRNO=` changed.
    case errno
    /// `notify`: `MAINPID=` accepted; the main process is now another pid.
    case mainPID = "mainpid"
    /// `notify`: `MAINPID=` refused (the message says why).
    case mainPIDRefused = "mainpid-refused"
    /// `plugin`: a collector plugin answered `hello` with a matching protocol version.
    case handshake
    /// `reload`: a new configuration was applied.
    case applied
    /// `reload`: the configuration file was rejected; nothing changed.
    case invalidConfig = "invalid-config"
    /// `orphans-killed`: the main process died and left processes of its tree behind.
    case mainProcessExited = "main-process-exited"
    /// `orphans-killed`: at start-up, processes a previous Warden left running (it died without stopping
    /// them) were ended before their replacements started.
    case leftoversEnded = "leftovers-ended"
    /// `severity-change`: the detector has enough samples for its first grade, and it is `none`.
    case firstGrade = "first-grade"
    /// `severity-change`: the final grade keeps the provisional one (same severity, no longer provisional).
    case gradeConfirmed = "grade-confirmed"
    /// `severity-change`: growth raised the severity.
    case growthRising = "growth-rising"
    /// `severity-change`: the growth that raised the severity slowed down.
    case growthSubsided = "growth-subsided"
    /// `severity-change`: a new process replaced the graded one; grading starts over (`warming-up`).
    case newProcess = "new-process"
}
