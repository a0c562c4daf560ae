import WardenCore

/// The history file's tables and the statement that mends what a killed Warden left open.
extension HistoryStore {
    static let schema = [
        "CREATE TABLE IF NOT EXISTS processes (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, program TEXT NOT NULL)",
        // The raw tier: one row per sampling round (`RawEntry`); the rollup tiers: one row per process and bucket.
        "CREATE TABLE IF NOT EXISTS raw_rounds (time INTEGER PRIMARY KEY, samples BLOB NOT NULL)",
        // Rollups, compact (a week of 500 processes is 3 million rows): time in seconds (bucket starts),
        // memory in KiB (RSS is whole pages), CPU in tenths of a percent, growth in hundredths of MiB/min.
        """
        CREATE TABLE IF NOT EXISTS samples (tier INTEGER NOT NULL, process INTEGER NOT NULL, time INTEGER NOT NULL,
            rss INTEGER NOT NULL, rss_min INTEGER, rss_max INTEGER, tree_rss INTEGER NOT NULL, fds INTEGER NOT NULL,
            threads INTEGER NOT NULL, cpu INTEGER, severity INTEGER, growth INTEGER,
            PRIMARY KEY (tier, process, time)) WITHOUT ROWID
        """,
        """
        CREATE TABLE IF NOT EXISTS pool_samples (collector TEXT NOT NULL, pool TEXT NOT NULL, time INTEGER NOT NULL,
            in_use INTEGER NOT NULL, idle INTEGER NOT NULL, max INTEGER NOT NULL, waiting INTEGER,
            unattributed INTEGER NOT NULL, by_worker TEXT NOT NULL, PRIMARY KEY (collector, pool, time)) WITHOUT ROWID
        """,
        "CREATE TABLE IF NOT EXISTS events (time INTEGER NOT NULL, kind TEXT NOT NULL, process TEXT, record TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS events_by_time ON events (time)",
        """
        CREATE TABLE IF NOT EXISTS alerts (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, collector TEXT, pool TEXT,
            worker TEXT, message TEXT, started_at INTEGER NOT NULL, resolved_at INTEGER, severity TEXT, reason TEXT,
            occurrences INTEGER, evidence TEXT, connection TEXT)
        """,
        "CREATE INDEX IF NOT EXISTS alerts_open ON alerts (kind, collector, pool, worker) WHERE resolved_at IS NULL",
    ]

    /// The occurrences of process alerts left open, brought up to the events recorded after they opened:
    /// a `restart-loop` counts each restart (`state-change` with its `restart_reason`), a `leak` each
    /// verdict (`leak-restart` or `leak-alert` with its reason), as `ProcessAlertTracker` counted them.
    static let reconstructOccurrences = """
        UPDATE alerts SET occurrences = coalesce(occurrences, 1) + (
            SELECT count(*) FROM events e WHERE e.process = alerts.worker AND e.time > alerts.started_at AND (
                (alerts.kind = '\(AlertKind.restartLoop.rawValue)' AND e.kind = '\(WardenEvent.Kind.stateChange.rawValue)'
                    AND json_extract(e.record, '$.restart_reason') = alerts.reason)
                OR (alerts.kind = '\(AlertKind.leak.rawValue)'
                    AND e.kind IN ('\(WardenEvent.Kind.leakRestart.rawValue)', '\(WardenEvent.Kind.leakAlert.rawValue)')
                    AND json_extract(e.record, '$.reason') = alerts.reason)))
        WHERE resolved_at IS NULL AND kind IN ('\(AlertKind.restartLoop.rawValue)', '\(AlertKind.leak.rawValue)')
        """
}
