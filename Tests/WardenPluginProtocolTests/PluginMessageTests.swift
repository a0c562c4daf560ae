import Foundation
import Testing
import WardenPluginProtocol

@Suite struct PluginMessageTests {
    @Test func collectRoundTripsWithTypeTag() throws {
        let message = HostMessage.collect(.init(seq: 7, workers: [.init(name: "api:0", program: "api", pid: 120, treePIDs: [120, 131])]))
        let data = try JSONEncoder().encode(message)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(object?["type"] as? String == "collect")
        #expect(object?["seq"] as? Int == 7)
        #expect(try JSONDecoder().decode(HostMessage.self, from: data) == message)
    }

    @Test func unknownTypeIsRejected() {
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(PluginMessage.self, from: Data(#"{"type":"bogus"}"#.utf8))
        }
    }
}

@Suite struct PluginMessageNullTests {
    @Test func unknownValuesAreWrittenAsNullNotOmitted() throws {
        let error = try JSONEncoder().encode(PluginMessage.error(.init(seq: nil, message: "bad config")))
        #expect(String(decoding: error, as: UTF8.self).contains(#""seq":null"#))
        let sample = PoolSample(
            pool: "redis://h:1", max: 1, inUse: 0, idle: 0, waiting: nil, byWorker: [:], unattributed: 0,
            longRunning: [LongRunningConnection(id: "1", worker: nil, state: "multi", ageSeconds: 1, client: nil)],
            collectedAt: "2026-01-01T00:00:00Z")
        let text = String(decoding: try JSONEncoder().encode(sample), as: UTF8.self)
        #expect(text.contains(#""waiting":null"#))
        #expect(text.contains(#""worker":null"#))
        #expect(text.contains(#""client":null"#))
        #expect(try JSONDecoder().decode(PoolSample.self, from: Data(text.utf8)) == sample)
    }
}
