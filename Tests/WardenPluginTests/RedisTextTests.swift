import Testing
import WardenPluginKit
import WardenPluginProtocol
@testable import warden_collector_redis

@Suite struct RedisTextTests {
    @Test func parsesClientListIgnoringUnknownAndMissingFields() throws {
        let text = """
        id=3 addr=127.0.0.1:51240 laddr=127.0.0.1:6379 fd=8 name= age=3600 idle=3600 flags=N db=0 sub=0 psub=0 multi=-1 qbuf=0 cmd=get user=default resp=2 future=1
        id=4 addr=[::1]:50001 flags=x idle=12 multi=2 cmd=set
        id=5 addr=/run/redis/redis.sock:0 laddr=/run/redis/redis.sock:0 fd=11 flags=U idle=1 cmd=ping
        id=6 addr=::1:50002 flags=b idle=400 cmd=blpop
        not a client line
        id=x addr=1.2.3.4:5
        """
        let clients = RedisText.clientList(text)
        #expect(clients.map(\.id) == [3, 4, 5, 6])
        #expect(clients[0].age == 3600 && clients[0].idle == 3600 && clients[0].multi == -1 && clients[0].cmd == "get")
        #expect(clients[0].tcpEndpoint?.host == "127.0.0.1" && clients[0].tcpEndpoint?.port == 51240)
        #expect(clients[1].tcpEndpoint?.host == "::1" && clients[1].inMulti)
        #expect(clients[2].tcpEndpoint == nil && clients[2].isUnixSocket && clients[2].fd == 11)
        #expect(clients[0].fd == 8 && !clients[0].isUnixSocket && clients[1].fd == nil)
        #expect(clients[3].tcpEndpoint?.host == "::1" && clients[3].tcpEndpoint?.port == 50002 && clients[3].isBlocked)
    }

    @Test func parsesInfo() {
        let info = RedisText.info("# Clients\r\nconnected_clients:3\r\nblocked_clients:1\r\nmaxclients:10000\r\n")
        #expect(info["connected_clients"] == "3")
        #expect(info["blocked_clients"] == "1")
        #expect(info["# Clients"] == nil)
    }

    @Test func buildsThePoolSample() {
        let clients = [
            RedisClientInfo(id: 1, addr: "127.0.0.1:40001", idle: 30),              // api, idle
            RedisClientInfo(id: 2, addr: "127.0.0.1:40002", idle: 0),               // api, in use
            RedisClientInfo(id: 3, addr: "127.0.0.1:40003", flags: "x", idle: 400, multi: 1, cmd: "set"),
            RedisClientInfo(id: 4, addr: "10.0.0.9:40004", flags: "b", idle: 500, cmd: "blpop"), // remote
            RedisClientInfo(id: 5, addr: "/tmp/r.sock:0", flags: "U", idle: 9),
            RedisClientInfo(id: 6, addr: "127.0.0.1:40006", flags: "S", idle: 1),  // replica
            RedisClientInfo(id: 7, addr: "127.0.0.1:40007", idle: 0),               // collector, by id
            RedisClientInfo(id: 8, addr: "127.0.0.1:40008", idle: 0),               // collector, by socket
            RedisClientInfo(id: 9, addr: "/tmp/r.sock:0", flags: "U", idle: 9, fd: 12), // api, found by its fd
        ]
        let round = RedisPoolBuilder.Round(
            pool: "redis://127.0.0.1:6379", maxClients: 100, blockedClients: 1, clients: clients, ownClientID: 7,
            workers: [WorkerTree(name: "api:0", program: "api", pid: 1, treePIDs: [1]),
                      WorkerTree(name: "idle:0", program: "idle", pid: 2, treePIDs: [2])],
            longRunningSeconds: 300, collectedAt: "2026-01-01T00:00:00Z", unixHolders: [9: .worker("api:0")])
        let sample = RedisPoolBuilder.sample(round) { host, port in
            if port == 40008 { return .collector }
            return host == "127.0.0.1" && port <= 40003 ? .worker("api:0") : .unknown
        }
        #expect(sample.byWorker == ["api:0": 4, "idle:0": 0])
        #expect(sample.unattributed == 2, "the remote client, and the unix client no holder was found for")
        #expect(sample.inUse == 3)
        #expect(sample.idle == 3)
        #expect(sample.waiting == 1)
        #expect(sample.max == 100)
        #expect(sample.longRunning.map(\.id) == ["3", "4"])
        #expect(sample.longRunning[0].worker == "api:0")
        #expect(sample.longRunning[0].state == "multi (1 queued)")
        #expect(sample.longRunning[1].worker == nil)
        #expect(sample.longRunning[1].state == "blocked (blpop)")
        #expect(sample.longRunning[1].ageSeconds == 500)
    }

    @Test func parsesURLsWithoutLeakingThePassword() throws {
        let full = try RedisURL(parsing: "redis://monitor:s%40cret@10.0.0.1:6380/0")
        #expect(full.user == "monitor" && full.password == "s@cret" && full.host == "10.0.0.1" && full.port == 6380)
        #expect(full.pool == "redis://10.0.0.1:6380")
        #expect(!"\(full)".contains("cret"))
        let passwordOnly = try RedisURL(parsing: "redis://:pw@localhost")
        #expect(passwordOnly.user == nil && passwordOnly.password == "pw" && passwordOnly.port == 6379)
        let v6 = try RedisURL(parsing: "redis://[::1]:7000")
        #expect(v6.host == "::1" && v6.pool == "redis://[::1]:7000")
    }

    @Test(arguments: ["http://h:1", "redis://", "redis://:topsecret@h:99999", "redis://:topsecret@h:x", "redis://[::1",
                      "redis://:topsecret@h/a/b", "redis://:top%zzsecret@h:1", "redis://h o:1"])
    func refusesBadURLsWithoutEchoingThem(_ text: String) {
        do {
            _ = try RedisURL(parsing: text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(!error.description.contains("secret"))
            #expect(error.description.contains("expected redis://"))
        }
    }
}
