#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `listen = "HOST:PORT"`: an IPv4 address, or an IPv6 address in brackets, and a port 1–65535. Host names
/// are refused: what Warden binds must not depend on a resolver.
enum ListenAddress {
    static func parse(_ text: String) -> (host: String, port: Int)? {
        let host: Substring, port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
            guard isAddress(String(host), family: AF_INET6) else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            guard isAddress(String(host), family: AF_INET) else { return nil }
        }
        guard port.allSatisfy(\.isASCII), let number = Int(port), (1...65535).contains(number), !port.hasPrefix("+") else {
            return nil
        }
        return (String(host), number)
    }

    private static func isAddress(_ text: String, family: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(family, text, &buffer) == 1
    }
}
