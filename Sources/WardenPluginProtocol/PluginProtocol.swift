/// Constants of Warden's collector plugin protocol (docs/plugin-protocol.md).
///
/// The channel is JSON lines: Warden writes one JSON object per line to the plugin's stdin, the plugin
/// writes one JSON object per line to its stdout. Every object has a `"type"` key. stderr is free text
/// that Warden copies to its log.
public enum PluginProtocol {
    /// The protocol version this build speaks. A plugin answering `hello` with another version is refused.
    public static let version = 1
    /// Longest line (bytes, newline excluded) either side accepts; a longer line is dropped and counted.
    public static let maxLineBytes = 1 << 20
}
