public import WardenPluginProtocol
import Foundation

/// Where a plugin session sends its protocol messages and its diagnostics.
///
/// `send` encodes one `PluginMessage` as one compact JSON line (no pretty printing, so no raw newline can
/// appear inside it); `diagnose` writes free text meant for stderr (Warden copies it to its log).
public struct MessageOutput: Sendable {
    private let writeLine: @Sendable ([UInt8]) -> Void
    private let writeDiagnostic: @Sendable (String) -> Void

    /// - Parameters:
    ///   - writeLine: receives each encoded message, without the trailing newline.
    ///   - writeDiagnostic: receives each diagnostic line, without the trailing newline.
    public init(writeLine: @escaping @Sendable ([UInt8]) -> Void, writeDiagnostic: @escaping @Sendable (String) -> Void) {
        self.writeLine = writeLine
        self.writeDiagnostic = writeDiagnostic
    }

    /// Encodes and sends one message. Encoding a `PluginMessage` cannot fail for finite numbers; a sample
    /// with a non-finite number is replaced by an `error` for its round.
    public func send(_ message: PluginMessage) {
        if let bytes = Self.encode(message) {
            writeLine(bytes)
            return
        }
        diagnose("could not encode a \(message.kindName) message (non-finite number?)")
        if case .samples(let samples) = message,
           let bytes = Self.encode(.error(.init(seq: samples.seq, message: "samples could not be encoded as JSON"))) {
            writeLine(bytes)
        }
    }

    /// Writes one diagnostic line to stderr (never to the protocol channel).
    public func diagnose(_ text: String) {
        writeDiagnostic(text)
    }

    static func encode(_ message: PluginMessage) -> [UInt8]? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(message)).map { Array($0) }
    }
}

extension PluginMessage {
    /// The `type` tag, for diagnostics.
    var kindName: String {
        switch self {
        case .hello: "hello"
        case .samples: "samples"
        case .error: "error"
        }
    }
}
