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
