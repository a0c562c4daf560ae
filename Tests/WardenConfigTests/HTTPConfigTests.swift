import Foundation
import Testing
@testable import WardenConfig

/// `[http]`: the TCP listener needs a well-formed address and a token file only its owner can read; every
/// problem is a diagnostic at the key's line, never a listener without authentication.
@Suite("ConfigLoader: [http] listener")
struct HTTPConfigTests {
    /// A directory with `token` (mode `mode`, contents `token`), removed after `body`.
    static func withTokenFile(mode: mode_t = 0o600, token: String = "0123456789abcdef0123456789abcdef\n",
                              _ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("token").path
        try token.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode)
        try body(path)
    }

    @Test("listen and a private token file: host, port, absolute path and the token without its newline")
    func valid() throws {
        try Self.withTokenFile { path in
            let configuration = try #require(parseValid("[http]\nlisten = \"127.0.0.1:9180\"\ntoken_file = \"\(path)\"\n"))
            let http = try #require(configuration.http)
            #expect(http.host == "127.0.0.1" && http.port == 9180 && http.tokenFile == path)
            #expect(http.token.bytes == Array("0123456789abcdef0123456789abcdef".utf8))
            #expect(!"\(http)".contains("0123456789abcdef"), "the token is never printed")
            let v6 = try #require(parseValid("[http]\nlisten = \"[::1]:80\"\ntoken_file = \"\(path)\"\n")?.http)
            #expect(v6.host == "::1" && v6.port == 80 && v6.address == "[::1]:80")
        }
        #expect(parseValid(minimalProgram)?.http == nil)
    }

    @Test("listen without token_file is refused at listen's line")
    func listenWithoutToken() throws {
        let diagnostic = try #require(onlyDiagnostic(of: "[http]\nlisten = \"127.0.0.1:9180\"\n"))
        #expect(diagnostic.line == 2 && diagnostic.key == "http.listen")
        #expect(diagnostic.message.contains("needs token_file"))
    }

    @Test("a token file group or others can read is refused, with the chmod to run", arguments: [0o644, 0o640, 0o604] as [mode_t])
    func readableToken(mode: mode_t) throws {
        try Self.withTokenFile(mode: mode) { path in
            let diagnostic = try #require(onlyDiagnostic(of: "[http]\nlisten = \"127.0.0.1:9180\"\ntoken_file = \"\(path)\"\n"))
            #expect(diagnostic.line == 3 && diagnostic.key == "http.token_file")
            #expect(diagnostic.message.contains("mode 0\(String(mode, radix: 8))") && diagnostic.message.contains("chmod 600"))
        }
    }

    @Test("an empty, short or missing token file is refused", arguments: [("", "is empty"), ("short\n", "at least 16")])
    func badToken(contents: String, expected: String) throws {
        try Self.withTokenFile(token: contents) { path in
            let diagnostic = try #require(onlyDiagnostic(of: "[http]\nlisten = \"127.0.0.1:9180\"\ntoken_file = \"\(path)\"\n"))
            #expect(diagnostic.key == "http.token_file" && diagnostic.message.contains(expected), "\(diagnostic)")
        }
        let missing = try #require(onlyDiagnostic(of: "[http]\nlisten = \"127.0.0.1:9180\"\ntoken_file = \"/nonexistent/token\"\n"))
        #expect(missing.line == 3 && missing.message.contains("cannot open token file /nonexistent/token"))
    }

    @Test("an unparsable address is refused at its line", arguments: [
        "localhost:9180", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", "::1:9180", "[::1]9180",
        "256.0.0.1:80", "127.0.0.1:+80", "",
    ])
    func badAddress(address: String) throws {
        try Self.withTokenFile { path in
            let diagnostic = try #require(onlyDiagnostic(of: "[http]\nlisten = \"\(address)\"\ntoken_file = \"\(path)\"\n"))
            #expect(diagnostic.line == 2 && diagnostic.key == "http.listen")
            #expect(diagnostic.message.hasPrefix("invalid address"))
        }
    }

    @Test("unknown keys in [http] get a suggestion")
    func unknownKey() throws {
        let diagnostics = diagnostics(of: "[http]\nlisen = \"127.0.0.1:9180\"\n")
        #expect(diagnostics.contains { $0.key == "http.lisen" && $0.message.contains("did you mean \"listen\"") })
    }
}

/// `[history]`: defaults in the state directory, and each bad value a diagnostic at its line.
@Suite("ConfigLoader: [history]")
struct HistoryConfigTests {
    @Test("without a table: on, STATE_DIR/history.sqlite, 7 days, 1 GB")
    func defaults() throws {
        let history = try #require(parseValid("[supervisor]\nstate_dir = \"/var/lib/warden\"\n")?.history)
        #expect(history == HistorySettings(enabled: true, path: "/var/lib/warden/history.sqlite",
                                           retention: .seconds(7 * 86_400), maxBytes: 1_000_000_000))
    }

    @Test("every key, with a path relative to the config file's directory")
    func keys() throws {
        let history = try #require(parseValid(
            "[history]\nenabled = false\npath = \"data/h.sqlite\"\nretention = \"30d\"\nmax_bytes = \"200MB\"\n")?.history)
        #expect(history == HistorySettings(enabled: false, path: "/etc/warden/data/h.sqlite",
                                           retention: .seconds(30 * 86_400), maxBytes: 200_000_000))
    }

    @Test("bad values are refused at their line", arguments: [
        ("retention = \"30m\"", "history.retention", "at least 1h"), ("retention = 7", "history.retention", "has no unit"),
        ("max_bytes = \"1MB\"", "history.max_bytes", "at least 10MB"), ("enabled = \"yes\"", "history.enabled", "expected boolean"),
        ("path = \"\"", "history.path", "must not be empty"), ("keep = \"7d\"", "history.keep", "unknown key"),
    ])
    func badValues(line: String, key: String, message: String) throws {
        let diagnostic = try #require(onlyDiagnostic(of: "[history]\n\(line)\n"))
        #expect(diagnostic.line == 2 && diagnostic.key == key && diagnostic.message.contains(message), "\(diagnostic)")
    }
}
