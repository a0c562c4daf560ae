import Foundation
import Synchronization
import Testing
import WardenPluginKit
import WardenPluginProtocol

/// Records what a session writes.
final class RecordingOutput: Sendable {
    private let state = Mutex<(messages: [PluginMessage], diagnostics: [String])>(([], []))
    var output: MessageOutput {
        MessageOutput(
            writeLine: { [self] bytes in
                // Each line must be one JSON object that decodes back into a PluginMessage.
                let message = try! JSONDecoder().decode(PluginMessage.self, from: Data(bytes))
                state.withLock { $0.messages.append(message) }
            },
            writeDiagnostic: { [self] text in state.withLock { $0.diagnostics.append(text) } })
    }
    var messages: [PluginMessage] { state.withLock { $0.messages } }
    var diagnostics: [String] { state.withLock { $0.diagnostics } }

    func waitForMessages(_ count: Int) async {
        for _ in 0..<500 where messages.count < count { try? await Task.sleep(for: .milliseconds(10)) }
    }
}

/// A collector whose rounds take `collect_ms` milliseconds (from config) and that throws for odd `seq`s when
/// `fail_odd` is set; counts shutdowns.
actor FakeCollector: Collector {
    static let name = "fake"
    static let version = "0.1"
    static let shutdowns = Mutex(0)
    let delay: Double
    let failOdd: Bool

    init(hello: HostMessage.Hello) async throws {
        if hello.config["refuse"] != nil { throw FakeError(description: "refused config") }
        delay = hello.config["collect_ms"]?.numberValue ?? 0
        failOdd = hello.config["fail_odd"] != nil
    }

    func collect(_ request: HostMessage.Collect) async throws -> [PoolSample] {
        if delay > 0 { try await Task.sleep(for: .milliseconds(Int(delay))) }
        if failOdd && request.seq % 2 == 1 { throw FakeError(description: "round \(request.seq) failed") }
        return [PoolSample(pool: "fake://\(request.seq)", max: 10, inUse: 1, idle: 2, waiting: nil,
                           byWorker: Dictionary(uniqueKeysWithValues: request.workers.map { ($0.name, 1) }),
                           unattributed: 0, longRunning: [], collectedAt: "2026-01-01T00:00:00Z")]
    }

    func shutdown() async {
        Self.shutdowns.withLock { $0 += 1 }
    }
}

struct FakeError: Error, CustomStringConvertible { let description: String }

func hello(_ config: [String: JSONValue] = [:], version: Int = 1) -> LineSplitter.Event {
    line(.hello(.init(protocolVersion: version, collector: "fake", intervalSeconds: 1, timeoutSeconds: 0.5,
                      longRunningSeconds: 300, config: .object(config))))
}

func collect(_ seq: UInt64) -> LineSplitter.Event {
    line(.collect(.init(seq: seq, workers: [WorkerTree(name: "w:0", program: "w", pid: 1, treePIDs: [1])])))
}

func line(_ message: HostMessage) -> LineSplitter.Event {
    .line(Array(try! JSONEncoder().encode(message)))
}

@Suite(.serialized) struct PluginSessionTests {
    @Test func handshakeCollectAndShutdown() async {
        let recorder = RecordingOutput()
        let (input, feed) = AsyncStream.makeStream(of: LineSplitter.Event.self)
        let before = FakeCollector.shutdowns.withLock { $0 }
        let session = Task { await PluginSession.serve(FakeCollector.self, input: input, output: recorder.output) }
        feed.yield(.line(Array("not json".utf8)))
        feed.yield(.oversized(bytes: 2_000_000))
        feed.yield(collect(1))
        feed.yield(hello())
        feed.yield(collect(2))
        await recorder.waitForMessages(3)
        feed.yield(line(.shutdown))
        #expect(await session.value == 0)
        let messages = recorder.messages
        #expect(messages.count == 3)
        #expect(messages[0] == .error(.init(seq: 1, message: "collect before hello")))
        #expect(messages[1] == .hello(.init(name: "fake", version: "0.1", capabilities: ["pools"])))
        guard case .samples(let samples) = messages[2] else { Issue.record("expected samples"); return }
        #expect(samples.seq == 2 && samples.pools.first?.byWorker == ["w:0": 1])
        #expect(recorder.diagnostics.count == 2)
        #expect(recorder.diagnostics.contains { $0.contains("2000000 bytes") })
        #expect(FakeCollector.shutdowns.withLock { $0 } == before + 1)
    }

    @Test func protocolVersionMismatchIsAnErrorAndExitStatusOne() async {
        let recorder = RecordingOutput()
        let (input, feed) = AsyncStream.makeStream(of: LineSplitter.Event.self)
        feed.yield(hello(version: 2))
        feed.finish()
        #expect(await PluginSession.serve(FakeCollector.self, input: input, output: recorder.output) == 1)
        guard case .error(let failure) = recorder.messages.first else { Issue.record("expected error"); return }
        #expect(failure.seq == nil)
        #expect(failure.message.contains("protocol version mismatch"))
        #expect(recorder.messages.count == 1)
    }

    @Test func throwingInitIsAnErrorAndExitStatusOne() async {
        let recorder = RecordingOutput()
        let (input, feed) = AsyncStream.makeStream(of: LineSplitter.Event.self)
        feed.yield(hello(["refuse": .bool(true)]))
        feed.finish()
        #expect(await PluginSession.serve(FakeCollector.self, input: input, output: recorder.output) == 1)
        #expect(recorder.messages == [.error(.init(seq: nil, message: "refused config"))])
    }

    @Test func throwingCollectAnswersErrorWithItsSeqAndKeepsRunning() async {
        let recorder = RecordingOutput()
        let (input, feed) = AsyncStream.makeStream(of: LineSplitter.Event.self)
        let session = Task { await PluginSession.serve(FakeCollector.self, input: input, output: recorder.output) }
        feed.yield(hello(["fail_odd": .bool(true)]))
        feed.yield(collect(1))
        await recorder.waitForMessages(2)
        feed.yield(collect(2))
        await recorder.waitForMessages(3)
        feed.finish()  // end of input behaves like shutdown
        #expect(await session.value == 0)
        let messages = recorder.messages
        #expect(messages.count == 3)
        #expect(messages[1] == .error(.init(seq: 1, message: "round 1 failed")))
        if case .samples(let samples) = messages[2] { #expect(samples.seq == 2) } else { Issue.record("expected samples") }
    }

    @Test func overlappingCollectsKeepOneWaitingAndSkipTheRest() async {
        let recorder = RecordingOutput()
        let (input, feed) = AsyncStream.makeStream(of: LineSplitter.Event.self)
        let session = Task { await PluginSession.serve(FakeCollector.self, input: input, output: recorder.output) }
        feed.yield(hello(["collect_ms": .number(300)]))
        await recorder.waitForMessages(1)
        feed.yield(collect(1))
        try? await Task.sleep(for: .milliseconds(50))  // 1 is running now
        feed.yield(collect(2))
        feed.yield(collect(3))
        feed.yield(collect(4))
        await recorder.waitForMessages(5)
        feed.yield(line(.shutdown))
        #expect(await session.value == 0)
        let answers = recorder.messages.dropFirst()
        let served = answers.compactMap { message -> UInt64? in
            if case .samples(let samples) = message { return samples.seq }
            return nil
        }
        let skipped = answers.compactMap { message -> UInt64? in
            if case .error(let failure) = message, failure.message.hasPrefix("skipped") { return failure.seq }
            return nil
        }
        #expect(served == [1, 4])
        #expect(skipped == [2, 3])
    }
}
