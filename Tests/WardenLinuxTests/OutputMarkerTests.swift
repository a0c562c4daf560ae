import Foundation
import Glibc
import Testing
import WardenCore
import WardenLinux

@Suite("OutputCapture: start markers and timestamps")
struct OutputMarkerTests {
    @Test("an announced pipe holds what the child wrote first: the marker line still comes first")
    func markerFirst() async throws {
        let directory = try TemporaryDirectory()
        let capture = try OutputCapture(maxBytes: 0, backups: 0)
        let out = try capture.makePipe(logPath: directory.path + "/w.log", timestamps: true, announced: true)
        let child = try TestSupport.spawn(["sh", "-c", "echo one; echo two"], stdout: out, stderr: out)
        #expect(await ReapHub.shared.status(of: child.pid) == .exited(0))
        try await Task.sleep(for: .milliseconds(100))  // the output is in the pipe (and read) before the marker
        capture.announce(CapturedOutputFormat.startMarker(process: "w", pid: child.pid), onWriteEnd: out)
        capture.closeWriteEnd(out)
        #expect(await capture.shutdown(timeout: .seconds(10)))
        let text = try #require(directory.read("w.log"))
        let lines = text.split(separator: "\n").map { String($0.dropFirst(25)) }
        #expect(lines == ["--- warden: w started, pid \(child.pid) ---", "one", "two"], "\(text)")
    }

    @Test("a silent announced pipe leaves no file; an unannounced one gets no marker and no timestamps")
    func silentAndPlain() async throws {
        let directory = try TemporaryDirectory()
        let capture = try OutputCapture(maxBytes: 0, backups: 0)
        let silent = try capture.makePipe(logPath: directory.path + "/silent.log", timestamps: true, announced: true)
        let plain = try capture.makePipe(logPath: directory.path + "/plain.log")
        let child = try TestSupport.spawn(["sh", "-c", "echo raw"], stdout: plain, stderr: silent)
        capture.announce("--- marker ---", onWriteEnd: silent)
        capture.closeWriteEnd(silent)
        capture.closeWriteEnd(plain)
        #expect(await ReapHub.shared.status(of: child.pid) == .exited(0))
        #expect(await capture.shutdown(timeout: .seconds(10)))
        #expect(TestSupport.list(directory.path) == ["plain.log"])
        #expect(directory.read("plain.log") == "raw\n")
    }
}
