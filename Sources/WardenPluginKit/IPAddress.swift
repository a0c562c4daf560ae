#if canImport(Glibc)
import Glibc
#endif

/// An IP address as network-order bytes: 4 for IPv4, 16 for IPv6. IPv4-mapped IPv6 addresses
/// (`::ffff:a.b.c.d`) are folded to their 4-byte IPv4 form, so a dual-stack server's view of an IPv4 client
/// and the client's own AF_INET socket compare equal.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// Network-order bytes, 4 or 16 of them.
    public let bytes: [UInt8]

    /// From network-order bytes; `nil` unless there are 4 or 16.
    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4:
            self.bytes = bytes
        case 16:
            let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
            self.bytes = Array(bytes[0..<12]) == mappedPrefix ? Array(bytes[12..<16]) : bytes
        default:
            return nil
        }
    }

    /// From text as servers print it: `127.0.0.1`, `::1`, `[::1]`, `::ffff:127.0.0.1`, `fe80::1%eth0`
    /// (the zone is ignored). `nil` for anything else, including host names.
    public init?(_ text: some StringProtocol) {
        var text = String(text)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(bytes: withUnsafeBytes(of: v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.init(bytes: withUnsafeBytes(of: v6) { Array($0) })
            return
        }
        return nil
    }

    /// Whether this is an IPv4 address (including a folded IPv4-mapped one).
    public var isIPv4: Bool { bytes.count == 4 }

    /// Conventional text: dotted quad, or RFC 5952 IPv6 text (`inet_ntop`).
    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = isIPv4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A TCP endpoint: address and port.
public struct SocketEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    /// Port in host order (the number people write: 6379).
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `127.0.0.1:6379`, `[::1]:6379`.
    public var description: String {
        address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }
}
