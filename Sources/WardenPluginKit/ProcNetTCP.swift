/// One row of `/proc/net/tcp` or `/proc/net/tcp6`.
public struct TCPSocketRow: Sendable, Equatable {
    /// `local_address` (field 1), decoded.
    public var local: SocketEndpoint
    /// `rem_address` (field 2), decoded; `0.0.0.0:0` / `[::]:0` for listeners.
    public var remote: SocketEndpoint
    /// `st` (field 3): 0x01 ESTABLISHED, 0x02 SYN_SENT, 0x06 TIME_WAIT, 0x08 CLOSE_WAIT, 0x0A LISTEN, ...
    public var state: UInt8
    /// `inode` (field 9), decimal in the file; 0 for sockets no longer owned by a file (TIME_WAIT).
    public var inode: UInt64

    public init(local: SocketEndpoint, remote: SocketEndpoint, state: UInt8, inode: UInt64) {
        self.local = local; self.remote = remote; self.state = state; self.inode = inode
    }

    /// TCP state numbers as the kernel prints them (include/net/tcp_states.h).
    public enum State {
        public static let established: UInt8 = 0x01
        public static let synSent: UInt8 = 0x02
        public static let timeWait: UInt8 = 0x06
        public static let closeWait: UInt8 = 0x08
        public static let listen: UInt8 = 0x0A
    }
}

/// Pure parser of the `/proc/net/tcp` and `/proc/net/tcp6` text (docs: pool-monitoring.md §4.2).
///
/// Format: a header line, then one line per socket, whitespace-separated:
/// `sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...`.
/// Addresses are `HEX:PORT`; the port is plain hex in host order (`18EB` = 6379). The address is printed as
/// 32-bit words (one for IPv4, four for IPv6), each the in-memory network-order value printed as a
/// native integer — so on little-endian hosts the bytes of each word appear reversed (`0100007F` is
/// 127.0.0.1). Decoding each word as a `UInt32` and taking its bytes in native memory order gives the
/// network-order address on any host.
public enum ProcNetTCP {
    /// Parses the whole file; the header and malformed lines are skipped.
    public static func parse(_ text: String) -> [TCPSocketRow] {
        var rows: [TCPSocketRow] = []
        for line in text.split(separator: "\n") {
            if let row = parseLine(line) { rows.append(row) }
        }
        return rows
    }

    /// Parses one socket line; `nil` for the header or a malformed line.
    public static func parseLine(_ line: Substring) -> TCPSocketRow? {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 10, fields[0].hasSuffix(":"),
              let local = decodeEndpoint(fields[1]), let remote = decodeEndpoint(fields[2]),
              fields[3].count == 2, let state = UInt8(fields[3], radix: 16),
              let inode = UInt64(fields[9])
        else { return nil }
        return TCPSocketRow(local: local, remote: remote, state: state, inode: inode)
    }

    /// Decodes `0100007F:18EB` (or a 32-digit IPv6 form) into an endpoint.
    public static func decodeEndpoint(_ text: Substring) -> SocketEndpoint? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 4, let port = UInt16(parts[1], radix: 16),
              let address = decodeAddress(parts[0])
        else { return nil }
        return SocketEndpoint(address: address, port: port)
    }

    /// Decodes 8 (IPv4) or 32 (IPv6) hex digits printed as native-order 32-bit words.
    public static func decodeAddress(_ hex: Substring) -> IPAddress? {
        guard hex.count == 8 || hex.count == 32 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 8)
            guard let word = UInt32(hex[index..<next], radix: 16) else { return nil }
            withUnsafeBytes(of: word) { bytes.append(contentsOf: $0) }
            index = next
        }
        return IPAddress(bytes: bytes)
    }
}
