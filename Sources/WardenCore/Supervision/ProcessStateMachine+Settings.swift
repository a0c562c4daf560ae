extension ProcessStateMachine {
    /// The settings of the program that govern the life cycle (from `[programs.X]`).
    public struct Settings: Sendable, Equatable {
        /// Restart policy applied when a RUNNING process exits.
        public var restart: RestartPolicy
        /// How long a process must stay up to count as started; zero means RUNNING at once.
        public var startSeconds: Duration
        /// Failed starts in a row that are retried; one more failure makes the process FATAL.
        public var startRetries: Int
        /// Delay schedule between failed starts.
        public var backoff: Backoff
        /// Linux signal number sent to the process group to ask for a stop.
        public var stopSignal: Int32
        /// Grace period after `stopSignal` before SIGKILL of the whole tree.
        public var stopTimeout: Duration
        /// How a start succeeds: after `startSeconds`, or on `ready()` (systemd `Type=notify`).
        public var readiness: ReadinessMode
        /// With `.notify` readiness: how long STARTING may wait for `ready()` before the start fails.
        public var startTimeout: Duration
        /// While RUNNING: the longest allowed gap between `watchdogPing`s, `nil` for no watchdog.
        public var watchdog: Duration?
        /// Restarts after an exit are throttled once the process has been started this many times within
        /// `startLimitInterval` (systemd's `StartLimitBurst=`); 0 never throttles.
        public var startLimitBurst: Int
        /// The window of `startLimitBurst` (systemd's `StartLimitIntervalSec=`).
        public var startLimitInterval: Duration

        public init(restart: RestartPolicy, startSeconds: Duration, startRetries: Int, backoff: Backoff,
                    stopSignal: Int32, stopTimeout: Duration, readiness: ReadinessMode = .started,
                    startTimeout: Duration = .seconds(90), watchdog: Duration? = nil,
                    startLimitBurst: Int = 0, startLimitInterval: Duration = .seconds(10)) {
            self.restart = restart; self.startSeconds = startSeconds; self.startRetries = startRetries
            self.backoff = backoff; self.stopSignal = stopSignal; self.stopTimeout = stopTimeout
            self.readiness = readiness; self.startTimeout = startTimeout; self.watchdog = watchdog
            self.startLimitBurst = startLimitBurst; self.startLimitInterval = startLimitInterval
        }
    }
}
