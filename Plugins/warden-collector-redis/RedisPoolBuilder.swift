import WardenPluginKit
import WardenPluginProtocol

/// Turns one round of Redis facts into a `PoolSample` (pure).
///
/// Definitions (docs/plugin-protocol.md, "Redis collector"):
/// - counted clients: every `CLIENT LIST` entry except the collector's own (its `CLIENT ID`, or any entry
///   whose socket the collector process holds) and replication links (flags `S`/`M`);
/// - `in_use`: counted clients that are blocked (`b`), inside MULTI (`x`), subscribed (`P`), or ran a
///   command within the last second (`idle` = 0; CLIENT LIST has one-second resolution);
/// - `idle`: the other counted clients (`in_use + idle` = counted clients);
/// - `waiting`: `INFO clients` `blocked_clients` (clients blocked in BLPOP, XREAD BLOCK, WAIT, ...), `nil` if
///   absent; blocked clients are also part of `in_use`;
/// - `by_worker`: every worker of the `collect` (0 when it holds none) plus its attributed clients;
/// - `unattributed`: counted clients no worker holds (other hosts, unsupervised processes, and unix-socket
///   clients the collector could not follow: a server on another host, or whose `/proc` it may not read);
/// - `long_running`: counted clients inside MULTI or blocked whose `idle` is at least `longRunningSeconds`;
///   `age_seconds` is `idle` (for MULTI a lower bound of the transaction's age), `state` is
///   `multi (N queued)` or `blocked (CMD)`.
enum RedisPoolBuilder {
    struct Round: Sendable {
        var pool: String
        var maxClients: Int
        var blockedClients: Int?
        var clients: [RedisClientInfo]
        var ownClientID: UInt64?
        var workers: [WorkerTree]
        var longRunningSeconds: Double
        var collectedAt: String
        /// Client id → holder of a unix-socket client, found from the server's side (`RedisCollector`).
        var unixHolders: [UInt64: SocketAttribution.Holder] = [:]
    }

    static func sample(_ round: Round, holder: (String, Int) -> SocketAttribution.Holder) -> PoolSample {
        var byWorker: [String: Int] = [:]
        for worker in round.workers { byWorker[worker.name] = 0 }
        var inUse = 0, idle = 0, unattributed = 0
        var longRunning: [LongRunningConnection] = []
        for client in round.clients where client.id != round.ownClientID && !client.isReplication {
            let endpoint = client.tcpEndpoint
            let owner = endpoint.map { holder($0.host, $0.port) } ?? round.unixHolders[client.id] ?? .unknown
            var worker: String?
            switch owner {
            case .collector: continue
            case .worker(let name): worker = name; byWorker[name, default: 0] += 1
            case .unknown: unattributed += 1
            }
            if client.isBlocked || client.inMulti || client.isPubSub || client.idle == 0 { inUse += 1 } else { idle += 1 }
            if (client.inMulti || client.isBlocked) && Double(client.idle) >= round.longRunningSeconds {
                let state = client.inMulti ? "multi (\(max(client.multi, 0)) queued)" : "blocked (\(client.cmd))"
                longRunning.append(LongRunningConnection(
                    id: String(client.id), worker: worker, state: state, ageSeconds: Double(client.idle),
                    client: endpoint == nil ? "local" : client.addr))
            }
        }
        return PoolSample(
            pool: round.pool, max: round.maxClients, inUse: inUse, idle: idle, waiting: round.blockedClients,
            byWorker: byWorker, unattributed: unattributed, longRunning: longRunning, collectedAt: round.collectedAt)
    }
}
