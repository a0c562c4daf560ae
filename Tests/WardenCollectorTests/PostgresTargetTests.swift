import Testing
@testable import warden_collector_postgres

/// URL parsing of the collector's `config.url` (pure).
@Suite struct PostgresTargetTests {
    @Test func fullTCPURL() throws {
        let target = try PostgresTarget(url: "postgres://monitor:s%40cret%2Fx@db.local:6543/app?sslmode=require&application_name=w")
        #expect(target.user == "monitor")
        #expect(target.password == "s@cret/x")
        #expect(target.host == "db.local")
        #expect(target.socketDirectory == nil)
        #expect(target.port == 6543)
        #expect(target.database == "app")
        #expect(target.sslMode == .require)
        #expect(target.applicationName == "w")
        #expect(target.poolID == "postgres://db.local:6543/app")
        #expect(!target.description.contains("cret"))
    }

    @Test func defaultsFollowLibpq() throws {
        let target = try PostgresTarget(url: "postgresql://monitor@127.0.0.1")
        #expect(target.password == nil)
        #expect(target.port == 5432)
        #expect(target.database == "monitor")
        #expect(target.sslMode == .disable)
        #expect(target.applicationName == "warden-collector-postgres")
        #expect(target.poolID == "postgres://127.0.0.1:5432/monitor")
    }

    @Test func unencodedAtAndSlashInThePassword() throws {
        let target = try PostgresTarget(url: "postgres://u:a@b/c@127.0.0.1:5433/db")
        #expect(target.password == "a@b/c")
        #expect(target.host == "127.0.0.1")
        #expect(target.port == 5433)
        #expect(target.database == "db")
    }

    @Test func ipv6Host() throws {
        let target = try PostgresTarget(url: "postgres://u:p@[::1]:5433/db")
        #expect(target.host == "::1")
        #expect(target.poolID == "postgres://[::1]:5433/db")
    }

    @Test func unixSocketDirectoryAsHostOrParameter() throws {
        let encoded = try PostgresTarget(url: "postgres://u@%2Fvar%2Frun%2Fpostgresql:5433/db")
        #expect(encoded.host == nil)
        #expect(encoded.unixSocketPath == "/var/run/postgresql/.s.PGSQL.5433")
        #expect(encoded.poolID == "postgres://%2Fvar%2Frun%2Fpostgresql:5433/db")
        let parameter = try PostgresTarget(url: "postgres://u@localhost/db?host=/tmp/pg")
        #expect(parameter.unixSocketPath == "/tmp/pg/.s.PGSQL.5432")
    }

    @Test(arguments: [
        "mysql://u:TopSecret@h/db",
        "postgres://h/db",
        "postgres://:TopSecret@h/db",
        "postgres://u:TopSecret@h:0/db",
        "postgres://u:TopSecret@h:99999/db",
        "postgres://u:TopSecret@h:x/db",
        "postgres://u:TopSecret@[::1/db",
        "postgres://u:TopSecret@h/db?sslmode=maybe",
        "postgres://u:TopSecret@h/db?password=TopSecret",
        "postgres://u:TopSecret@/db",
        "postgres://u:Top%ZZSecret@h/db",
    ])
    func invalidURLsAreRejectedWithoutTheSecret(url: String) {
        let error = #expect(throws: PostgresURLError.self) { _ = try PostgresTarget(url: url) }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("config.url: "))
        #expect(!text.contains("TopSecret") && !text.contains("Top%ZZ"))
    }

    @Test func redactionRemovesPlainAndEncodedPasswords() {
        let redaction = Redaction(password: "p@ss word")
        #expect(redaction.apply("a p@ss word b p%40ss%20word c p%40ss%20word") == "a *** b *** c ***")
        #expect(Redaction(password: nil).apply("nothing to hide") == "nothing to hide")
    }
}
