public import WardenPluginProtocol
import Foundation

/// The protocol state machine of one plugin process, independent of real stdin/stdout (tests feed it lines).
///
/// Lifecycle (docs/plugin-protocol.md):
/// 1. Waits for `hello`. A `collect` before it is answered with an `error` for its `seq`.
///    A `protocol_version` other than `PluginProtocol.version` is answered with an `error` (`seq` null) and the
///    session ends with status 1; so does a collector whose `init(hello:)` throws. Otherwise the plugin's
///    `hello` is sent.
/// 2. Each `collect` is answered with `samples` (same `seq`) or, when `collect` throws, an `error` (same `seq`).
///    Collects run one at a time in a separate task, so the input keeps being read while one runs.
///    **Overlap rule:** while a collect runs, at most one newer request waits; when yet another arrives, the
///    waiting one is answered at once with an `error` ("skipped …") and replaced. Memory stays bounded (one
///    running + one waiting) and the freshest request is the one served. A running collect is never cancelled
///    by a newer one (cancelling mid-request would desynchronise a server connection).
/// 3. `shutdown` or end of input: the running collect is cancelled, `shutdown()` is awaited, status 0.
///
/// Lines that are not valid JSON messages, unknown `type`s and oversized lines are reported on stderr and
/// otherwise ignored (Warden counts the missing answer itself).
public enum PluginSession {
    /// Runs the session until `shutdown`, end of input or a fatal handshake error; returns the exit status.
    public static func serve<C: Collector, Input: AsyncSequence & Sendable>(
        _ collectorType: C.Type, input: Input, output: MessageOutput
    ) async -> Int32 where Input.Element == LineSplitter.Event {
        var collector: C?
        var worker: Task<Void, Never>?
        var requests: AsyncStream<HostMessage.Collect>.Continuation?
        let decoder = JSONDecoder()

        func stop() async -> Int32 {
            requests?.finish()
            worker?.cancel()
            if let collector { await collector.shutdown() }
            return 0
        }

        do {
            for try await event in input {
                let bytes: [UInt8]
                switch event {
                case .oversized(let count):
                    output.diagnose("dropped an input line of \(count) bytes (limit \(PluginProtocol.maxLineBytes))")
                    continue
                case .line(let line):
                    bytes = line
                }
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                let message: HostMessage
                do {
                    message = try decoder.decode(HostMessage.self, from: Data(bytes))
                } catch {
                    output.diagnose("ignored an input line that is not a valid Warden message (\(bytes.count) bytes)")
                    continue
                }

                switch message {
                case .shutdown:
                    return await stop()

                case .hello(let hello):
                    if collector != nil {
                        output.diagnose("ignored a second hello")
                        continue
                    }
                    guard hello.protocolVersion == PluginProtocol.version else {
                        output.send(.error(.init(seq: nil, message:
                            "protocol version mismatch: Warden speaks \(hello.protocolVersion), \(C.name) speaks \(PluginProtocol.version)")))
                        return 1
                    }
                    let made: C
                    do {
                        made = try await C(hello: hello)
                    } catch {
                        output.send(.error(.init(seq: nil, message: describe(error))))
                        return 1
                    }
                    collector = made
                    let (stream, continuation) = AsyncStream.makeStream(
                        of: HostMessage.Collect.self, bufferingPolicy: .bufferingNewest(1))
                    requests = continuation
                    worker = Task { await PluginSession.runCollects(made, requests: stream, output: output) }
                    output.send(.hello(.init(name: C.name, version: C.version, capabilities: ["pools"])))

                case .collect(let request):
                    guard let requests else {
                        output.send(.error(.init(seq: request.seq, message: "collect before hello")))
                        continue
                    }
                    if case .dropped(let skipped) = requests.yield(request) {
                        output.send(.error(.init(seq: skipped.seq, message:
                            "skipped: collect \(request.seq) arrived while an earlier collect was still running")))
                    }
                }
            }
        } catch {
            output.diagnose("input failed: \(describe(error))")
        }
        return await stop()
    }

    private static func runCollects<C: Collector>(
        _ collector: C, requests: AsyncStream<HostMessage.Collect>, output: MessageOutput
    ) async {
        for await request in requests {
            if Task.isCancelled { return }
            do {
                let pools = try await collector.collect(request)
                output.send(.samples(.init(seq: request.seq, pools: pools)))
            } catch {
                output.send(.error(.init(seq: request.seq, message: describe(error))))
            }
        }
    }

    /// Text for an error: its `description` when it has one (collectors' errors must not contain credentials).
    static func describe(_ error: any Error) -> String {
        String(describing: error)
    }
}
