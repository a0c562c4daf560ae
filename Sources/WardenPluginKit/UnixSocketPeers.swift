import Glibc

/// The peer of every connected unix stream socket of this network namespace, from the kernel's
/// `NETLINK_SOCK_DIAG` interface (`unix_diag`, the one `ss -x` uses): socket inode → peer socket inode,
/// and whether the socket has an address.
///
/// The address matters because a server process holds more unix sockets than its clients' (a PostgreSQL
/// backend inherits socketpairs from whoever started the postmaster). The server's end of a connection
/// accepted on a listening path carries that path as its address (the kernel copies the listener's
/// address to the accepted socket), while socketpairs and clients' ends are unnamed: `Link.isBound`
/// tells the server's end of a client connection from the rest.
///
/// `/proc/net/unix` lists unix sockets but not who is on the other end; `unix_diag` with
/// `UDIAG_SHOW_PEER` does. The server's end of a connection (an fd of the server process) leads through
/// this map to the client's socket inode, which `/proc/PID/fd` links (`socket:[INODE]`) tie to a process.
///
/// One dump per call: a request, then a few `recv` of ~100 bytes per socket (a host with 2 000 unix
/// sockets answers in ~0.2 MB). Non-waiting: the kernel answers from memory. Needs no privilege, but only
/// sockets of the caller's network namespace are listed, and a kernel without `unix_diag`
/// (CONFIG_UNIX_DIAG, module `unix_diag`) answers `ENOENT`: `read()` then throws and the caller counts
/// unix-socket clients as unattributed.
public enum UnixSocketPeers {
    /// Why the dump failed: the syscall and its `errno` text.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// One socket's end of a connection.
    public struct Link: Sendable, Equatable {
        /// Inode of the socket at the other end.
        public var peer: UInt64
        /// The socket has an address (a path or an abstract name): the server's end of an accepted connection.
        public var isBound: Bool
        public init(peer: UInt64, isBound: Bool) { self.peer = peer; self.isBound = isBound }
    }

    // Kernel ABI (include/uapi/linux/{netlink,sock_diag,unix_diag}.h). Numbers are in host byte order.
    private static let netlinkSockDiag: Int32 = 4        // NETLINK_SOCK_DIAG
    private static let sockDiagByFamily: UInt16 = 20     // SOCK_DIAG_BY_FAMILY
    private static let nlmFRequest: UInt16 = 0x1         // NLM_F_REQUEST
    private static let nlmFDump: UInt16 = 0x300          // NLM_F_ROOT | NLM_F_MATCH
    private static let nlmsgError: UInt16 = 2            // NLMSG_ERROR
    private static let nlmsgDone: UInt16 = 3             // NLMSG_DONE
    private static let udiagShowName: UInt32 = 0x1       // UDIAG_SHOW_NAME
    private static let udiagShowPeer: UInt32 = 0x4       // UDIAG_SHOW_PEER (the inode is always in the header)
    private static let unixDiagName: UInt16 = 0          // UNIX_DIAG_NAME attribute: the address's bytes
    private static let unixDiagPeer: UInt16 = 2          // UNIX_DIAG_PEER attribute: u32 peer inode
    private static let tcpEstablished: UInt32 = 1       // unix stream sockets reuse TCP state numbers
    private static let headerSize = 16                   // struct nlmsghdr
    private static let messageSize = 16                  // struct unix_diag_msg

    /// Socket inode → its link, for every established unix socket of the namespace. A socket whose peer has
    /// closed reports no peer (or inode 0) and is left out.
    /// - Throws: `Failure` when the netlink socket cannot be opened or the kernel refuses the request.
    public static func read() throws(Failure) -> [UInt64: Link] {
        let fd = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkSockDiag)
        guard fd >= 0 else { throw failure("socket(AF_NETLINK, NETLINK_SOCK_DIAG)") }
        defer { close(fd) }
        // No bind/connect: sendto with a zeroed sockaddr_nl addresses the kernel (nl_pid 0).
        let request = request()
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == request.count else { throw failure("send(unix_diag request)") }

        var peers: [UInt64: Link] = [:]
        // A dump arrives as several datagrams of many messages, ending with NLMSG_DONE. 32 KiB holds a
        // whole datagram (the kernel fills up to a page or so per recv).
        var buffer = [UInt8](repeating: 0, count: 32 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw failure("recv(unix_diag)") }
            let step = buffer.withUnsafeBytes { raw in
                parse(UnsafeRawBufferPointer(rebasing: raw[0..<count]), into: &peers)
            }
            switch step {
            case .more: continue
            case .done: return peers
            case .refused(let code): throw Failure(description: "unix_diag refused: \(String(cString: strerror(code)))")
            }
        }
    }

    /// `nlmsghdr` + `unix_diag_req` asking for every established unix socket with its peer.
    private static func request() -> [UInt8] {
        var bytes: [UInt8] = []
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value) { bytes += $0 } }
        put(UInt32(headerSize + 24)); put(sockDiagByFamily); put(nlmFRequest | nlmFDump)
        put(UInt32(1)); put(UInt32(0))                       // nlmsg_seq, nlmsg_pid (0: the kernel)
        put(UInt8(AF_UNIX)); put(UInt8(0)); put(UInt16(0))   // sdiag_family, sdiag_protocol, pad
        put(UInt32(1) << tcpEstablished)                     // udiag_states
        put(UInt32(0))                                       // udiag_ino (0: all, with NLM_F_DUMP)
        put(udiagShowPeer | udiagShowName)                   // udiag_show
        put(UInt32.max); put(UInt32.max)                     // udiag_cookie: INET_DIAG_NOCOOKIE
        return bytes
    }

    /// What one datagram said: more to come, the end of the dump, or the kernel's refusal (an errno).
    public enum Step: Sendable, Equatable { case more, done, refused(Int32) }

    /// Walks the netlink messages of one datagram, adding each socket's peer to `peers`.
    /// Lengths are checked before every read, so a short or corrupt datagram ends the walk, never overreads.
    public static func parse(_ data: UnsafeRawBufferPointer, into peers: inout [UInt64: Link]) -> Step {
        var offset = 0
        while offset + headerSize <= data.count {
            let length = Int(data.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            let type = data.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self)
            guard length >= headerSize, offset + length <= data.count else { return .more }
            if type == nlmsgDone { return .done }
            if type == nlmsgError {
                // nlmsgerr: a negative errno, then the offending request's header.
                let code = length >= headerSize + 4 ? data.loadUnaligned(fromByteOffset: offset + headerSize, as: Int32.self) : 0
                return code == 0 ? .done : .refused(-code)  // 0: an acknowledgement
            }
            if type == sockDiagByFamily && length >= headerSize + messageSize {
                let body = offset + headerSize
                let inode = UInt64(data.loadUnaligned(fromByteOffset: body + 4, as: UInt32.self))
                // Attributes (struct rtattr: u16 length including itself, u16 type), each 4-byte aligned.
                var attribute = body + messageSize
                var peer: UInt64 = 0, isBound = false
                while attribute + 4 <= offset + length {
                    let size = Int(data.loadUnaligned(fromByteOffset: attribute, as: UInt16.self))
                    let kind = data.loadUnaligned(fromByteOffset: attribute + 2, as: UInt16.self)
                    guard size >= 4, attribute + size <= offset + length else { break }
                    if kind == unixDiagPeer && size >= 8 {
                        peer = UInt64(data.loadUnaligned(fromByteOffset: attribute + 4, as: UInt32.self))
                    } else if kind == unixDiagName && size > 4 {
                        isBound = true
                    }
                    attribute += (size + 3) & ~3
                }
                if peer != 0 { peers[inode] = Link(peer: peer, isBound: isBound) }
            }
            offset += (length + 3) & ~3  // NLMSG_ALIGN
        }
        return .more
    }

    private static func failure(_ what: String) -> Failure {
        Failure(description: "\(what): \(String(cString: strerror(errno)))")
    }
}
