import Foundation
import Testing
@testable import WardenConfig

@Suite("ConfigLoader.load")
struct LoadTests {
    /// A fresh directory under the system temporary directory.
    func makeDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("warden-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("load reads the file and resolves state_dir against its directory")
    func loadsFile() throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("warden.toml")
        try (minimalProgram + "\n[supervisor]\nstate_dir = \"state\"\n").write(to: file, atomically: true, encoding: .utf8)
        let configuration = try ConfigLoader.load(path: file.path)
        #expect(configuration.file == file.path)
        #expect(configuration.supervisor.stateDirectory == directory.path + "/state")
        #expect(configuration.programs.map(\.name) == ["api"])
    }

    @Test("load names the file as given in diagnostics")
    func diagnosticsNameFile() throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.toml")
        try "[programs.api]\ncommand = [\"x\"]\nnumprocs = \"2\"\n".write(to: file, atomically: true, encoding: .utf8)
        do {
            _ = try ConfigLoader.load(path: file.path)
            Issue.record("expected an error")
        } catch {
            #expect(error.diagnostics.map(\.description)
                == ["\(file.path):3: programs.api.numprocs: expected integer, got string \"2\"; write 2 without quotes"])
        }
    }

    @Test("a directory, a FIFO and a non-UTF-8 file are refused at once; the UTF-8 error names line and byte offset")
    func unreadable() throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            _ = try ConfigLoader.load(path: directory.path)
            Issue.record("expected an error")
        } catch {
            #expect(error.diagnostics == [
                Diagnostic(file: directory.path, line: nil, key: nil, message: "config file is a directory, not a regular file"),
            ])
        }
        // A FIFO with no writer: refused at once, not waited on.
        let fifo = directory.appendingPathComponent("fifo.toml").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let started = ContinuousClock.now
        do {
            _ = try ConfigLoader.load(path: fifo)
            Issue.record("expected an error")
        } catch {
            #expect(error.diagnostics == [
                Diagnostic(file: fifo, line: nil, key: nil, message: "config file is a FIFO, not a regular file"),
            ])
        }
        #expect(ContinuousClock.now - started < .seconds(1))
        let file = directory.appendingPathComponent("latin1.toml")
        try Data(Array("[supervisor]\n# caf\u{E9}\n".utf8) + [0x61, 0x20, 0x3D, 0x20, 0x22, 0xE9, 0x22, 0x0A]).write(to: file)
        do {
            _ = try ConfigLoader.load(path: file.path)
            Issue.record("expected an error")
        } catch {
            #expect(error.diagnostics.map(\.description) == [
                "\(file.path):3: not valid UTF-8 text: invalid byte 0xE9 at byte offset 26",
            ])
        }
    }
}
