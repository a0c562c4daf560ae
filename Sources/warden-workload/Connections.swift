// Connection modes: a worker holding a steady pool of TCP connections, and one leaking them.

internal import Glibc

/// Opens one TCP connection to 127.0.0.1:`port`; returns the fd or nil (the error is printed).
func connectLoopback(port: Int) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { emitError("socket: \(String(cString: strerror(errno)))"); return nil }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else {
        emitError("connect 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        close(fd)
        return nil
    }
    return fd
}

func runConnectionPool(_ context: Context) -> Never {
    let port = context.options.integer("port", default: 0, minimum: 1, maximum: 65535)
    let count = context.options.integer("count", default: 5, minimum: 0, maximum: 10000)
    context.announce()
    var held = 0
    while held < count {
        if connectLoopback(port: port) != nil { held += 1 } else { sleep(1) }
    }
    emit("holding \(held) connections to 127.0.0.1:\(port)")
    while true { pause() }
}

func runConnectionLeak(_ context: Context) -> Never {
    let port = context.options.integer("port", default: 0, minimum: 1, maximum: 65535)
    let every = context.options.number("every", default: 1, minimum: 0.01)
    context.announce()
    repeatAtRate(1 / every) { count in
        if connectLoopback(port: port) != nil, (count + 1) % 10 == 0 { emit("leaked \(count + 1) connections") }
        return true
    }
}
