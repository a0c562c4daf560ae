import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Socket inodes held by a process, from its `/proc/PID/fd` links.
///
/// Each entry of `/proc/PID/fd` is a symlink; for a socket its target is `socket:[INODE]` (decimal).
/// Reading another user's fds needs the same uid (plus the ptrace read check) or CAP_SYS_PTRACE; unreadable
/// or vanished processes yield an empty set. These are short, non-waiting /proc reads.
public enum ProcFD {
    /// The inode in a `socket:[INODE]` link target, `nil` for other targets (files, pipes, anon inodes).
    public static func socketInode(linkTarget: String) -> UInt64? {
        guard linkTarget.hasPrefix("socket:["), linkTarget.hasSuffix("]") else { return nil }
        return UInt64(linkTarget.dropFirst(8).dropLast())
    }

    /// The whole text of a /proc file, read with `read(2)` until end of file (/proc files report size 0, so
    /// size-based readers can come back short); `nil` when it cannot be opened.
    public static func readText(path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return nil }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The socket inode behind descriptor `fd` of `pid` (`/proc/PID/fd/FD`), `nil` when it is not a socket,
    /// is closed, or cannot be read (another user's process without CAP_SYS_PTRACE).
    public static func socketInode(pid: Int32, fd: Int32, procRoot: String = "/proc") -> UInt64? {
        var target = [CChar](repeating: 0, count: 256)
        let length = readlink("\(procRoot)/\(pid)/fd/\(fd)", &target, target.count - 1)
        guard length > 0 else { return nil }
        return socketInode(linkTarget: String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// Socket inodes of every fd of `pid` under `procRoot` (`pid` may also be `self`).
    public static func socketInodes(pid: String, procRoot: String) -> Set<UInt64> {
        let directory = "\(procRoot)/\(pid)/fd"
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var inodes: Set<UInt64> = []
        var target = [CChar](repeating: 0, count: 256)
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let length = readlink("\(directory)/\(name)", &target, target.count - 1)
            guard length > 0 else { continue }
            let text = String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let inode = socketInode(linkTarget: text) { inodes.insert(inode) }
        }
        return inodes
    }
}
