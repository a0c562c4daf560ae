import Foundation
import Testing

@Suite struct CollectorBinaryTests {
    @Test func postgresCollectorIsBuiltNextToTests() {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        #expect(FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("warden-collector-postgres").path))
    }
}
