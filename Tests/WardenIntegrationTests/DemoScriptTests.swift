import Foundation
import Testing
import WardenTestSupport

/// `scripts/demo` run for real in a miniature checkout (the real script and config, the real binaries linked
/// in, `swift` replaced by a stand-in that only says it was called).
@Suite("scripts/demo", .serialized)
struct DemoScriptTests {
    @Test("the demo skips the build when the binaries are newer than the sources, builds when not, and keeps its state out of the checkout")
    func demo() throws {
        let files = FileManager.default
        let root = NSTemporaryDirectory() + "warden-demo-\(UUID().uuidString.prefix(8))"
        defer { try? files.removeItem(atPath: root) }
        for directory in ["scripts", "etc", "Sources", ".build/debug", "fakebin"] {
            try files.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        let repository = BuiltProducts.repository.path
        try files.copyItem(atPath: repository + "/scripts/demo", toPath: root + "/scripts/demo")
        try files.copyItem(atPath: repository + "/etc/warden.toml", toPath: root + "/etc/warden.toml")
        let hourAgo = Date().addingTimeInterval(-3600)
        for source in ["Package.swift", "Sources/main.swift"] {
            try "// source\n".write(toFile: root + "/" + source, atomically: true, encoding: .utf8)
            try files.setAttributes([.modificationDate: hourAgo], ofItemAtPath: root + "/" + source)
        }
        for product in ["warden", "warden-workload", "warden-collector-redis"] {
            try files.createSymbolicLink(atPath: root + "/.build/debug/" + product, withDestinationPath: BuiltProducts.path(product))
        }
        try "#!/bin/sh\necho \"stand-in swift $*\"\n".write(toFile: root + "/fakebin/swift", atomically: true, encoding: .utf8)
        try files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root + "/fakebin/swift")
        let state = root + "/demo-state"
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = root + "/fakebin:" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["WARDEN_DEMO_DIR"] = state
        environment["WARDEN_DEMO_BUILD"] = nil

        /// Runs the demo until its Warden answers `status`, then stops it; returns what the script printed.
        func runDemo() throws -> String {
            let demo = try ChildProcess("/bin/bash", [root + "/scripts/demo"], environment: environment, directory: root)
            defer { demo.kill() }
            let socket = state + "/.warden/warden.sock"
            try waitFor("the demo's Warden to listen", timeout: 30) { files.fileExists(atPath: socket) }
            var status = environment
            status["WARDEN_CONFIG"] = state + "/warden.toml"
            var table = ""
            try waitFor("status through WARDEN_CONFIG", timeout: 15) {
                let result = try ChildProcess.runBlocking(BuiltProducts.path("warden"), ["status"], environment: status)
                table = result.stdout
                return result.status == 0 && table.contains("leaky")
            }
            demo.signal(SIGTERM)
            #expect(demo.waitForExitBlocking(timeout: 30) == 0)
            return demo.stdout.text
        }

        let upToDate = try runDemo()
        #expect(upToDate.contains("not building") && !upToDate.contains("stand-in swift"), "\(upToDate)")
        #expect(upToDate.contains("export WARDEN_CONFIG=\(state)/warden.toml"))
        #expect(files.fileExists(atPath: state + "/.warden/events.jsonl"))
        #expect(!files.fileExists(atPath: root + "/etc/.warden") && !files.fileExists(atPath: root + "/.warden"))
        let mode = try files.attributesOfItem(atPath: state)[.posixPermissions] as? Int
        #expect(mode == 0o700)

        // A source newer than the binaries: the demo builds first.
        try "// edited\n".write(toFile: root + "/Sources/main.swift", atomically: true, encoding: .utf8)
        let stale = try runDemo()
        #expect(stale.contains("stand-in swift build") && !stale.contains("not building"), "\(stale)")
    }
}
