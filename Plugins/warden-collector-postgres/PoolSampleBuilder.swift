import WardenPluginProtocol

/// Turns one round's `pg_stat_activity` rows into a `PoolSample`. Pure: attribution is passed in.
///
/// Definitions (all counts are client backends other than the collector's own connection, across every
/// database of the server, because `max_connections` is server-wide):
/// - `max`: `max_connections − superuser_reserved_connections − reserved_connections`.
/// - `idle`: `state = 'idle'`.
/// - `in_use`: every other state — `active`, `idle in transaction`, `idle in transaction (aborted)`,
///   `fastpath function call`, `disabled` — and rows whose state is hidden: each holds a slot.
/// - `waiting`: sessions blocked on a lock (`wait_event_type = 'Lock'`), or `nil` if some state is hidden.
///   (PostgreSQL has no queue of clients waiting for a slot: a client over the limit is refused.)
/// - `by_worker`: every requested worker, 0 when it holds none, plus its attributed connections.
/// - `unattributed`: connections no worker holds: other hosts, unsupervised clients, and unix-socket
///   clients when the server's processes cannot be read (`backends` nil).
/// - `backend_memory`: with `backends`, per worker the count and summed Rss/Pss of the backends serving it;
///   `nil` without.
/// - `long_running`: connections with a transaction open (`xact_start`), or else an active statement
///   (`query_start`), for longer than the threshold — including `idle in transaction` — oldest first.
enum PoolSampleBuilder {
    /// - Parameters:
    ///   - longRunningSeconds: threshold from `hello.long_running_seconds`.
    ///   - attribute: worker holding the TCP client endpoint `(address, port)` on this host, or `nil`.
    ///   - collectedAt: RFC 3339 time of the measurement.
    ///   - backends: unix-socket clients and backend memory, read when the server is local.
    static func sample(
        pool: String, snapshot: ActivitySnapshot, workers: [WorkerTree], longRunningSeconds: Double,
        collectedAt: String, backends: BackendProcesses? = nil, attribute: (String, Int) -> String?
    ) -> PoolSample {
        var idle = 0, inUse = 0, blocked = 0, hidden = 0, unattributed = 0
        var byWorker: [String: Int] = [:]
        for worker in workers { byWorker[worker.name] = 0 }
        var longRunning: [LongRunningConnection] = []
        var memory: [String: BackendMemory]? = backends.map { _ in
            Dictionary(uniqueKeysWithValues: workers.map { ($0.name, BackendMemory(backends: 0, rssBytes: 0, pssBytes: 0)) })
        }

        for row in snapshot.rows {
            switch row.state {
            case "idle": idle += 1
            case nil: inUse += 1; hidden += 1
            default: inUse += 1
            }
            if row.waitEventType == "Lock" { blocked += 1 }

            var worker: String?
            if let address = row.clientAddress, let port = row.clientPort, port > 0 {
                worker = attribute(address, port)
            } else if row.isUnixSocket {
                worker = backends?.unixClients[row.pid]
            }
            if let worker { byWorker[worker, default: 0] += 1 } else { unattributed += 1 }
            if let worker, let reading = backends?.memory[row.pid] {
                var total = memory?[worker] ?? BackendMemory(backends: 0, rssBytes: 0, pssBytes: 0)
                total.backends += 1
                total.rssBytes += reading.residentBytes
                total.pssBytes += reading.proportionalBytes
                memory?[worker] = total
            }

            if let age = longRunningAge(of: row), age > longRunningSeconds {
                longRunning.append(LongRunningConnection(
                    id: String(row.pid), worker: worker, state: row.state ?? "unknown", ageSeconds: age,
                    client: client(of: row)))
            }
        }
        longRunning.sort { $0.ageSeconds > $1.ageSeconds }
        return PoolSample(
            pool: pool, max: snapshot.limits.usable, inUse: inUse, idle: idle, waiting: hidden > 0 ? nil : blocked,
            byWorker: byWorker, unattributed: unattributed, longRunning: longRunning, collectedAt: collectedAt,
            backendMemory: memory)
    }

    /// Seconds the row has been in its transaction, or in its active statement outside one; `nil` when
    /// neither (an `idle` session has no open transaction).
    static func longRunningAge(of row: ActivityRow) -> Double? {
        if let transaction = row.transactionAgeSeconds { return transaction }
        if row.state == "active" || row.state == "fastpath function call" { return row.queryAgeSeconds }
        return nil
    }

    /// `host:port`, `[v6]:port`, `local` for a unix socket, `nil` when hidden.
    static func client(of row: ActivityRow) -> String? {
        if row.isUnixSocket { return "local" }
        guard let address = row.clientAddress, let port = row.clientPort else { return nil }
        return address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}
