/// Every metric family Warden exposes: one name table, with each family's type, help text and label names.
/// swift-prometheus stops the process when one name is registered with two helps or label sets, so every
/// series is made through this table (`MetricsBook`), never from a literal.
///
/// Names follow Prometheus conventions: base units (bytes, seconds), `_total` for counters, ratios 0–1;
/// the per-process families mirror the client libraries' `process_*` and process-exporter.
enum MetricFamily: String, CaseIterable, Sendable {
    // Per instance (labels program, instance).
    case residentMemory = "warden_process_resident_memory_bytes"
    case treeResidentMemory = "warden_process_tree_resident_memory_bytes"
    case openFDs = "warden_process_open_fds"
    case treeOpenFDs = "warden_process_tree_open_fds"
    case maxFDs = "warden_process_max_fds"
    case threads = "warden_process_threads"
    case treeThreads = "warden_process_tree_threads"
    case cpuSeconds = "warden_process_cpu_seconds_total"
    case startTime = "warden_process_start_time_seconds"
    case memoryGrowth = "warden_process_memory_growth_bytes_per_second"
    case leakSeverity = "warden_process_leak_severity"
    case state = "warden_process_state"
    case restarts = "warden_process_restarts_total"
    case info = "warden_process_info"
    // Pools (labels collector, pool).
    case poolConnections = "warden_pool_connections"
    case poolMaxConnections = "warden_pool_max_connections"
    case poolUsage = "warden_pool_usage_ratio"
    case poolWorkerConnections = "warden_pool_worker_connections"
    case poolUnattributed = "warden_pool_unattributed_connections"
    case poolBackendResidentMemory = "warden_pool_backend_resident_memory_bytes"
    case poolBackendProportionalMemory = "warden_pool_backend_proportional_memory_bytes"
    case alertsActive = "warden_alerts_active"
    // Warden itself.
    case samplingSeconds = "warden_sampling_seconds_total"
    case samplingRoundsLate = "warden_sampling_rounds_late_total"
    case eventsDropped = "warden_events_dropped_total"
    case eventsFailedWrites = "warden_events_failed_writes_total"
    case outputDroppedBytes = "warden_output_dropped_bytes_total"
    case logRotationsFailed = "warden_log_rotations_failed_total"
    // Notification sinks (label sink).
    case notificationsSent = "warden_notifications_sent_total"
    case notificationsFailed = "warden_notifications_failed_total"
    case notificationsDropped = "warden_notifications_dropped_total"
    case notificationsQueued = "warden_notifications_queued"
    case selfCPUSeconds = "process_cpu_seconds_total"
    case selfResidentMemory = "process_resident_memory_bytes"
    case selfVirtualMemory = "process_virtual_memory_bytes"
    case selfOpenFDs = "process_open_fds"
    case selfMaxFDs = "process_max_fds"
    case selfStartTime = "process_start_time_seconds"

    var isCounter: Bool { rawValue.hasSuffix("_total") }

    /// Label names, in order; every series of the family has exactly these.
    var labels: [String] {
        switch self {
        case .residentMemory, .treeResidentMemory, .openFDs, .treeOpenFDs, .maxFDs, .threads, .treeThreads,
             .cpuSeconds, .startTime, .memoryGrowth:
            return ["program", "instance"]
        case .leakSeverity: return ["program", "instance", "severity"]
        case .state: return ["program", "instance", "state"]
        case .restarts: return ["program", "instance", "reason"]
        case .info: return ["program", "instance", "pid"]
        case .poolConnections: return ["collector", "pool", "state"]
        case .poolMaxConnections, .poolUsage, .poolUnattributed: return ["collector", "pool"]
        case .poolWorkerConnections, .poolBackendResidentMemory, .poolBackendProportionalMemory:
            return ["collector", "pool", "instance"]
        case .alertsActive: return ["kind"]
        case .logRotationsFailed: return ["log"]
        case .notificationsSent, .notificationsFailed, .notificationsDropped, .notificationsQueued: return ["sink"]
        case .samplingSeconds, .samplingRoundsLate, .eventsDropped, .eventsFailedWrites, .outputDroppedBytes, .selfCPUSeconds, .selfResidentMemory, .selfVirtualMemory,
             .selfOpenFDs, .selfMaxFDs, .selfStartTime:
            return []
        }
    }

    var help: String {
        switch self {
        case .residentMemory: return "Resident set size of the instance's main process, bytes."
        case .treeResidentMemory: return "Resident set size summed over the instance's process tree, bytes."
        case .openFDs: return "Open file descriptors of the main process."
        case .treeOpenFDs: return "Open file descriptors summed over the process tree."
        case .maxFDs: return "Soft RLIMIT_NOFILE of the main process."
        case .threads: return "Threads of the main process."
        case .treeThreads: return "Threads summed over the process tree."
        case .cpuSeconds: return "User and system CPU time of the process tree since its main process started, seconds."
        case .startTime: return "When the main process was started, seconds since the Unix epoch."
        case .memoryGrowth: return "Robust RSS growth over the leak detector's window, bytes per second."
        case .leakSeverity: return "Leak grade of the instance (state set: 1 for the current grade)."
        case .state: return "Supervisor state of the instance (state set: 1 for the current state)."
        case .restarts: return "Restarts of the instance since Warden started, by reason."
        case .info: return "1 for each instance with a process; its pid as a label."
        case .poolConnections: return "Connections of the pool by state (in_use, idle, waiting)."
        case .poolMaxConnections: return "Connections a client may open before being refused (max_connections, maxclients)."
        case .poolUsage: return "Open connections over the pool's maximum (above 1 while superuser-reserved connections are in use)."
        case .poolWorkerConnections: return "Connections of the pool held by a supervised worker's process tree."
        case .poolUnattributed: return "Client connections of the pool no supervised worker holds."
        case .poolBackendResidentMemory:
            return "Resident set size summed over the server processes serving a worker's connections (PostgreSQL backends), bytes."
        case .poolBackendProportionalMemory:
            return "Proportional set size (shared pages split) summed over the server processes serving a worker's connections, bytes."
        case .alertsActive: return "Pool alerts open now, by kind."
        case .samplingSeconds: return "CPU time Warden spent reading /proc for its samples, seconds."
        case .samplingRoundsLate:
            return "Sampling rounds that started more than one sample_interval after they were due (Warden starved of CPU or stopped)."
        case .eventsDropped: return "Events a subscriber's full buffer dropped (the event log, history, metrics)."
        case .eventsFailedWrites: return "Events that could not be written to events.jsonl (disk full, I/O error)."
        case .outputDroppedBytes: return "Bytes of workers' output that could not be written to their log files, bytes."
        case .logRotationsFailed: return "Log rotations that failed, by log (events: events.jsonl, output: captured output)."
        case .notificationsSent: return "Notification requests the sink delivered (2xx)."
        case .notificationsFailed: return "Notification requests the sink gave up on (410, other 4xx, out of attempts)."
        case .notificationsDropped: return "Notification requests dropped because the sink's queue was full."
        case .notificationsQueued: return "Notification requests not yet delivered by the sink."
        case .selfCPUSeconds: return "Total user and system CPU time spent in seconds."
        case .selfResidentMemory: return "Resident memory size in bytes."
        case .selfVirtualMemory: return "Virtual memory size in bytes."
        case .selfOpenFDs: return "Number of open file descriptors."
        case .selfMaxFDs: return "Maximum number of open file descriptors."
        case .selfStartTime: return "Start time of the process since unix epoch in seconds."
        }
    }
}
