// warden-stamp-bench: the cost of `log_timestamps` in the output pump — LineStamper over 64 KiB chunks of
// `seq`-like lines, plus the per-chunk timestamp formatting — in ns per line and MB/s.
// Usage: swift run -c release warden-stamp-bench [--lines N]
import WardenCore

var lines = 2_000_000
if let index = CommandLine.arguments.firstIndex(of: "--lines"), index + 1 < CommandLine.arguments.count,
   let value = Int(CommandLine.arguments[index + 1]) {
    lines = value
}
var text: [UInt8] = []
for number in 1...lines { text += Array("\(number)\n".utf8) }
let clock = ContinuousClock()
var stamper = LineStamper()
var produced = 0
let elapsed = clock.measure {
    var offset = 0
    while offset < text.count {
        let end = min(offset + 65_536, text.count)
        let prefix = CapturedOutputFormat.timestampPrefix(secondsSinceEpoch: 1_796_551_459.123 + Double(offset) / 1e6)
        produced += text[offset..<end].withUnsafeBytes { stamper.stamp($0, prefix: prefix).count }
        offset = end
    }
}
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print("\(lines) lines, \(text.count) bytes in, \(produced) bytes out: \(Int(seconds * 1e9 / Double(lines))) ns/line, "
      + "\(Int(Double(text.count) / seconds / 1e6)) MB/s")
