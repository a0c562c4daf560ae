import Foundation
import NIOCore
import NIOPosix
import WardenPluginKit
import WardenPluginProtocol

/// An error the collector reports to Warden; its text has already been scrubbed of the password.
struct RedisCollectorError: Error, CustomStringConvertible {
    let description: String
}

/// A Redis server answered a command with an error reply (`-WRONGPASS ...`, `-NOAUTH ...`, `-NOPERM ...`).
struct RedisReplyError: Error, CustomStringConvertible {
    /// The command's name only (never its arguments: AUTH carries the password).
    let command: String
    let message: String
    var description: String { "Redis refused \(command): \(message)" }
}

/// The Redis connection-pool collector: one persistent connection, one `PoolSample` per round.
///
/// Config (the `config` table of `[collectors.NAME]`): `url = "redis://[user:password@]host:port"`.
/// Each round sends `CONFIG GET maxclients` (falling back to `INFO clients` `maxclients`), `INFO clients`
/// and `CLIENT LIST`, then snapshots /proc (`SocketAttribution`, on a thread-pool thread) and builds the
/// sample (`RedisPoolBuilder` documents the definitions). On connecting it sends `AUTH [user] password` when
/// a password is configured, `CLIENT ID` to recognise and exclude its own connection, and `INFO server` for
/// the server's `process_id`.
///
/// Unix-socket clients (flag `U`) are followed from the server's side: `CLIENT LIST`'s `fd` is the server
/// process's descriptor, `/proc/PROCESS_ID/fd/FD` its socket inode, whose `unix_diag` peer a worker holds.
/// This is done only when the server is on this host: the server end of the collector's own connection
/// (its `fd` in `CLIENT LIST`) must lead back to the collector (`SocketAttribution.isCollectorsPeer`).
/// Any failure drops the connection; the next round reconnects (a round on a connection that was reused
/// from an earlier round and failed for a transport reason is retried once on a fresh one).
actor RedisCollector: Collector {
    static let name = "warden-collector-redis"
    static let version = "1.0.0"

    private let url: RedisURL
    private let timeout: TimeAmount
    private let longRunningSeconds: Double
    private var connection: RedisConnection?
    private var ownClientID: UInt64?
    /// `INFO server` `process_id` of the connected server, `nil` when not reported.
    private var serverPID: Int32?

    init(hello: HostMessage.Hello) async throws {
        guard let text = hello.config["url"]?.stringValue else {
            throw RedisCollectorError(description: "config.url is required (redis://[user:password@]host:port)")
        }
        url = try RedisURL(parsing: text)
        let seconds = hello.timeoutSeconds > 0 ? hello.timeoutSeconds : 5
        timeout = .nanoseconds(Int64(seconds * 1e9))
        longRunningSeconds = hello.longRunningSeconds
    }

    func collect(_ request: HostMessage.Collect) async throws -> [PoolSample] {
        let reused = connection != nil
        do {
            return [try await round(request)]
        } catch let error as RedisReplyError {
            await dropConnection()
            throw scrubbed(error)
        } catch {
            await dropConnection()
            guard reused else { throw scrubbed(error) }
            do {
                return [try await round(request)]
            } catch {
                await dropConnection()
                throw scrubbed(error)
            }
        }
    }

    func shutdown() async {
        await dropConnection()
    }

    private func round(_ request: HostMessage.Collect) async throws -> PoolSample {
        let connection = try await connected()
        let maxClients = try await maxClients(connection)
        let info = RedisText.info(try await text(of: ["INFO", "clients"], name: "INFO clients", on: connection))
        let list = RedisText.clientList(try await text(of: ["CLIENT", "LIST"], name: "CLIENT LIST", on: connection))
        // Snapshot /proc right after the server's list, so ephemeral ports are as fresh as possible; the
        // reads block (briefly), so they run on the thread pool, never on the cooperative one.
        let workers = request.workers, serverPID = serverPID, ownClientID = ownClientID
        let (attribution, unixHolders) = try await NIOThreadPool.singleton.runIfActive {
            let attribution = SocketAttribution(workers: workers)
            return (attribution, Self.unixHolders(list, serverPID: serverPID, ownClientID: ownClientID, attribution: attribution))
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let round = RedisPoolBuilder.Round(
            pool: url.pool, maxClients: maxClients, blockedClients: info["blocked_clients"].flatMap { Int($0) }.map { max($0, 0) },
            clients: list, ownClientID: ownClientID, workers: request.workers,
            longRunningSeconds: longRunningSeconds, collectedAt: formatter.string(from: Date()), unixHolders: unixHolders)
        return RedisPoolBuilder.sample(round) { attribution.holder(forClientHost: $0, port: $1) }
    }

    /// Client id → holder, for the unix-socket clients of a server on this host (see the type's notes);
    /// empty when the server's pid is unknown or is not the process serving the collector's own connection.
    static func unixHolders(
        _ clients: [RedisClientInfo], serverPID: Int32?, ownClientID: UInt64?, attribution: SocketAttribution
    ) -> [UInt64: SocketAttribution.Holder] {
        guard let serverPID, let own = clients.first(where: { $0.id == ownClientID })?.fd,
              let ownInode = ProcFD.socketInode(pid: serverPID, fd: own),
              attribution.isCollectorsPeer(serverSocketInodes: [ownInode])
        else { return [:] }
        var holders: [UInt64: SocketAttribution.Holder] = [:]
        for client in clients where client.isUnixSocket {
            guard let fd = client.fd, let inode = ProcFD.socketInode(pid: serverPID, fd: fd) else { continue }
            holders[client.id] = attribution.holder(forServerSocketInodes: [inode])
        }
        return holders
    }

    /// `CONFIG GET maxclients` → `["maxclients", "10000"]`; servers that block CONFIG report it in INFO.
    private func maxClients(_ connection: RedisConnection) async throws -> Int {
        let reply = try await connection.send(["CONFIG", "GET", "maxclients"], timeout: timeout)
        // A count below 1 is no limit a pool can be measured against (a fake or broken server): say so.
        func checked(_ value: Int) throws -> Int {
            guard value >= 1 else { throw RedisCollectorError(description: "maxclients \(value) is not a client limit") }
            return value
        }
        if case .array(let items?) = reply, items.count == 2, let value = items[1].text.flatMap({ Int($0) }) {
            return try checked(value)
        }
        let info = RedisText.info(try await text(of: ["INFO", "clients"], name: "INFO clients", on: connection))
        if let value = info["maxclients"].flatMap({ Int($0) }) { return try checked(value) }
        throw RedisCollectorError(description: "maxclients is unknown (CONFIG GET and INFO clients do not report it)")
    }

    private func connected() async throws -> RedisConnection {
        if let connection, connection.isActive { return connection }
        await dropConnection()
        let fresh = try await RedisConnection.connect(host: url.host, port: url.port, timeout: timeout)
        do {
            if let password = url.password {
                let arguments = ["AUTH"] + (url.user.map { [$0] } ?? []) + [password]
                try check(try await fresh.send(arguments, timeout: timeout), name: "AUTH")
            }
            let id = try check(try await fresh.send(["CLIENT", "ID"], timeout: timeout), name: "CLIENT ID")
            guard case .integer(let value) = id, value >= 0 else { throw RedisConnectionError.unexpectedReply(command: "CLIENT ID") }
            ownClientID = UInt64(value)
            let server = RedisText.info(try await text(of: ["INFO", "server"], name: "INFO server", on: fresh))
            serverPID = server["process_id"].flatMap { Int32($0) }
        } catch {
            await fresh.close()
            throw error
        }
        connection = fresh
        return fresh
    }

    private func text(of arguments: [String], name: String, on connection: RedisConnection) async throws -> String {
        let reply = try check(try await connection.send(arguments, timeout: timeout), name: name)
        guard let text = reply.text else { throw RedisConnectionError.unexpectedReply(command: name) }
        return text
    }

    @discardableResult
    private func check(_ reply: RESPValue, name: String) throws -> RESPValue {
        if case .error(let message) = reply { throw RedisReplyError(command: name, message: message) }
        return reply
    }

    private func dropConnection() async {
        if let connection { await connection.close() }
        connection = nil
        ownClientID = nil
        serverPID = nil
    }

    /// The error's text with every occurrence of the password replaced (defence in depth: no message built
    /// here contains it, but a server or library message could echo input).
    private func scrubbed(_ error: any Error) -> RedisCollectorError {
        var text = String(describing: error)
        if let password = url.password, !password.isEmpty {
            text = text.replacingOccurrences(of: password, with: "***")
        }
        return RedisCollectorError(description: "\(url.pool): \(text)")
    }
}
