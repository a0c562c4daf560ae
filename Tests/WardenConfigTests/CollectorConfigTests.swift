import Testing
import WardenCore
import WardenPluginProtocol
@testable import WardenConfig

/// `[collectors.NAME]` tables and `connection_leak`: valid configs and defaults.
@Suite("ConfigLoader: collectors")
struct CollectorConfigTests {
    static let full = """
        [collectors.postgres]
        plugin = "warden-collector-postgres"
        interval = "20s"
        timeout = "3s"
        config = { url = "postgres://monitor:secret@127.0.0.1:5432/postgres", tags = ["a", 1, true], tls = { verify = false, ratio = 0.5 } }

        [collectors.postgres.thresholds]
        high_usage = 0.7
        high_usage_checks = 3
        exhaustion = 0.9
        leak_growth = 0.2
        leak_checks = 4
        leak_min_connections = 8
        long_running = "2m"

        [collectors.redis]
        plugin = "./plugins/redis-collector"
        config = { url = "redis://127.0.0.1:6379" }

        [programs.api]
        command = ["api"]

        [programs.api.leak]
        connection_leak = "restart"
        """

    @Test("every key is read; collectors are sorted by name")
    func fullConfig() throws {
        let configuration = try #require(parseValid(Self.full))
        #expect(configuration.collectors.map(\.name) == ["postgres", "redis"])
        let postgres = try #require(configuration.collector(named: "postgres"))
        #expect(postgres.plugin == "warden-collector-postgres")
        #expect(postgres.interval == .seconds(20) && postgres.timeout == .seconds(3))
        #expect(postgres.config == .object([
            "url": .string("postgres://monitor:secret@127.0.0.1:5432/postgres"),
            "tags": .array([.string("a"), .number(1), .bool(true)]),
            "tls": .object(["verify": .bool(false), "ratio": .number(0.5)]),
        ]))
        #expect(postgres.thresholds == PoolThresholds(
            highUsage: 0.7, highUsageChecks: 3, exhaustion: 0.9, leakGrowth: 0.2, leakChecks: 4, leakMinConnections: 8,
            longRunning: .seconds(120)))
        #expect(configuration.program(named: "api")?.leak.connectionLeak == .restart)
    }

    @Test("defaults: interval 10s, timeout half the interval, seed thresholds, empty config, connection_leak alert")
    func defaults() throws {
        let configuration = try #require(parseValid("""
            [collectors.pg]
            plugin = "warden-collector-postgres"

            [collectors.fast]
            plugin = "x"
            interval = "3s"

            \(minimalProgram)
            """))
        let pg = try #require(configuration.collector(named: "pg"))
        #expect(pg.interval == .seconds(10) && pg.timeout == .seconds(5))
        #expect(pg.config == .object([:]))
        #expect(pg.thresholds == PoolThresholds())
        #expect(pg.thresholds.highUsage == 0.80 && pg.thresholds.exhaustion == 0.95 && pg.thresholds.leakGrowth == 0.10)
        #expect(pg.thresholds.longRunning == .seconds(300) && pg.thresholds.leakChecks == 3)
        #expect(pg.thresholds.leakMinConnections == 5 && pg.thresholds.highUsageChecks == 2)
        #expect(configuration.collector(named: "fast")?.timeout == .milliseconds(1500))
        #expect(configuration.program(named: "api")?.leak.connectionLeak == .alert)
    }

    @Test("no [collectors] table means no collectors")
    func none() throws {
        #expect(try #require(parseValid(minimalProgram)).collectors.isEmpty)
    }

    @Test("a plugin path is resolved against the config file's directory; a bare name is kept for lookup")
    func pluginPaths() throws {
        let configuration = try #require(parseValid(Self.full, file: "/etc/warden/warden.toml"))
        #expect(configuration.collector(named: "redis")?.plugin == "/etc/warden/plugins/redis-collector")
        #expect(configuration.collector(named: "postgres")?.plugin == "warden-collector-postgres")
    }

    @Test("the thresholds table may be written inline, and usage thresholds may be equal")
    func inlineThresholds() throws {
        let configuration = try #require(parseValid("""
            [collectors.pg]
            plugin = "p"
            thresholds = { high_usage = 0.9, exhaustion = 0.9, leak_growth = 1 }
            """))
        let thresholds = try #require(configuration.collector(named: "pg")?.thresholds)
        #expect(thresholds.highUsage == 0.9 && thresholds.exhaustion == 0.9 && thresholds.leakGrowth == 1)
    }

    @Test("configs differ when a collector's threshold or config differs (a reload can diff collectors)")
    func equatable() throws {
        let base = try #require(parseValid(Self.full))
        let changedThreshold = try #require(parseValid(Self.full.replacingOccurrences("leak_checks = 4", "leak_checks = 5")))
        let changedConfig = try #require(parseValid(Self.full.replacingOccurrences("verify = false", "verify = true")))
        #expect(base == (try #require(parseValid(Self.full))))
        #expect(base.collector(named: "postgres") != changedThreshold.collector(named: "postgres"))
        #expect(base.collector(named: "redis") == changedThreshold.collector(named: "redis"))
        #expect(base.collector(named: "postgres") != changedConfig.collector(named: "postgres"))
    }

    @Test("hello carries the collector's name, interval, timeout, long_running and config")
    func hello() throws {
        let postgres = try #require(parseValid(Self.full)?.collector(named: "postgres"))
        let hello = postgres.hello
        #expect(hello.collector == "postgres" && hello.intervalSeconds == 20 && hello.timeoutSeconds == 3)
        #expect(hello.longRunningSeconds == 120 && hello.config == postgres.config)
        #expect(hello.protocolVersion == PluginProtocol.version)
    }
}

extension String {
    /// `self` with every `target` replaced (no Foundation in this target).
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
