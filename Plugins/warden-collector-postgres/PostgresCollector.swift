import Foundation
import Logging
import PostgresNIO
import WardenPluginKit
import WardenPluginProtocol

/// `warden-collector-postgres`: one pool sample per `collect` for the PostgreSQL server named by
/// `config.url` (see `PostgresTarget` for the URL parts supported).
///
/// Each round, on one persistent connection (`PostgresSession`): the limits from `pg_settings` and every
/// client backend of `pg_stat_activity` except the collector's own (`pid <> pg_backend_pid()`), with ages
/// computed on the server against `clock_timestamp()`. Then a `/proc` snapshot (`SocketAttribution`, on a
/// thread-pool thread, never a cooperative one) maps each TCP client endpoint to the worker whose tree
/// holds the socket; `PoolSampleBuilder` has the exact definitions of every field.
///
/// Attribution: TCP clients from this host by their endpoint. When the server runs on this host
/// (`BackendProcesses`), unix-socket clients (`client_addr` NULL, `client_port = -1`) through the backend
/// pid's socket and its `unix_diag` peer, and each worker's backends' memory (`backend_memory`) from
/// `smaps_rollup`. Clients on other hosts, behind a pooler or NAT are unattributed.
///
/// Privileges: the role must see other roles' sessions — `GRANT pg_monitor TO ROLE` (or `pg_read_all_stats`,
/// or a superuser); otherwise every round answers an `error` naming the missing grant. PostgreSQL 10+.
///
/// Errors (connection refused, authentication, privileges, timeouts) are `error` messages for the round;
/// the connection is dropped and reopened on the next round. No message contains the password.
struct PostgresCollector: Collector {
    static let name = "warden-collector-postgres"
    static let version = "1.0.0"

    private let target: PostgresTarget
    private let redaction: Redaction
    private let longRunningSeconds: Double
    private let session: PostgresSession

    init(hello: HostMessage.Hello) async throws {
        guard let url = hello.config["url"]?.stringValue else {
            throw PluginFailure("config.url is required: postgres://USER[:PASSWORD]@HOST:PORT/DATABASE")
        }
        do {
            target = try PostgresTarget(url: url)
        } catch {
            throw PluginFailure(error.description)  // names the faulty part, never the URL
        }
        redaction = Redaction(password: target.password)
        longRunningSeconds = hello.longRunningSeconds
        // Bound each step well inside Warden's answer timeout: connect at most 80 % of it (≤ 10 s), and
        // the server cancels any statement of ours running longer than that.
        let budget = min(max(hello.timeoutSeconds * 0.8, 0.5), 10)
        var logger = Logger(label: Self.name, factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .error  // stdout is the protocol channel; the driver's notes stay off stderr too
        session = PostgresSession(
            target: target, connectTimeoutSeconds: budget, statementTimeoutSeconds: budget, logger: logger)
    }

    func collect(_ request: HostMessage.Collect) async throws -> [PoolSample] {
        let snapshot: ActivitySnapshot
        do {
            snapshot = try await session.read()
        } catch {
            throw PluginFailure(redaction.apply(CollectorFailure(describing: error, target: target).description))
        }
        let collectedAt = Self.timestamp(Date())
        let workers = request.workers
        // /proc reads right after the query (ephemeral ports stay current), off the cooperative pool.
        let (attribution, backends) = try await NIOThreadPool.singleton.runIfActive {
            let attribution = SocketAttribution(workers: workers)
            let attributedTCP = Set(snapshot.rows.compactMap { row -> Int32? in
                guard let address = row.clientAddress, let port = row.clientPort, port > 0,
                      attribution.worker(forClientHost: address, port: port) != nil else { return nil }
                return row.pid
            })
            return (attribution, BackendProcesses.read(snapshot: snapshot, attribution: attribution, attributedTCP: attributedTCP))
        }
        let sample = PoolSampleBuilder.sample(
            pool: target.poolID, snapshot: snapshot, workers: workers, longRunningSeconds: longRunningSeconds,
            collectedAt: collectedAt, backends: backends,
            attribute: { attribution.worker(forClientHost: $0, port: $1) })
        return [sample]
    }

    func shutdown() async {
        await session.close()
    }

    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-30T10:00:00.123Z` (the collector host's clock: the
    /// time the sample was taken, not an age).
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

/// An error whose text is already safe to send to Warden.
struct PluginFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
