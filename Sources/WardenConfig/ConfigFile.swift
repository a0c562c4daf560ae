#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The only file-system access of WardenConfig: reading the config file, a token file and the working
/// directory.
enum ConfigFile {
    /// Why the file could not be turned into text, phrased for a diagnostic.
    struct Problem: Error {
        var message: String
        /// The line the problem is on, when it is in the text.
        var line: Int? = nil
    }

    /// Largest config file accepted; anything bigger is surely not a config.
    static let maximumSize = 16 * 1024 * 1024

    /// The whole file as UTF-8 text.
    static func contents(of path: String) -> Result<String, Problem> {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return .failure(Problem(message: "cannot open config file: \(errorText(errno))")) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(Problem(message: "cannot stat config file: \(errorText(errno))")) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            return .failure(Problem(message: "config file is \(kind(of: info.st_mode)), not a regular file"))
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Problem(message: "cannot read config file: \(errorText(errno))"))
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
            if bytes.count > maximumSize {
                return .failure(Problem(message: "config file is larger than \(maximumSize / 1024 / 1024) MiB"))
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let offset = firstInvalidUTF8(bytes)
            let line = bytes[..<offset].count(where: { $0 == UInt8(ascii: "\n") }) + 1
            return .failure(Problem(message: "not valid UTF-8 text: invalid byte 0x\(String(bytes[offset], radix: 16, uppercase: true)) at byte offset \(offset)", line: line))
        }
        return .success(text)
    }

    /// The offset of the first byte that does not start a valid UTF-8 sequence (`bytes.count` if none).
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .error: return min(offset, bytes.count - 1)
            case .emptyInput: return bytes.count
            }
        }
    }

    /// "a directory", "a FIFO", … for a diagnostic.
    static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        default: return "a special file"
        }
    }

    /// Shortest token accepted: 16 bytes (128 bits when random).
    static let minimumTokenBytes = 16

    /// The token in the file at `path`: its contents without trailing whitespace. Refused when group or
    /// others may read the file (mode & 0o077), when it is not a regular file, empty, shorter than
    /// `minimumTokenBytes` or larger than 4 KiB.
    static func token(at path: String, what: String = "token file") -> Result<[UInt8], Problem> {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return .failure(Problem(message: "cannot open \(what) \(path): \(errorText(errno))")) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(Problem(message: "cannot stat \(what) \(path): \(errorText(errno))")) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            return .failure(Problem(message: "\(what) \(path) is not a regular file"))
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            let octal = String(mode, radix: 8)
            return .failure(Problem(message: "\(what) \(path) has mode 0\(octal): group or others can read it; run chmod 600 \(path)"))
        }
        var bytes = [UInt8](repeating: 0, count: 4097)
        var count = 0
        while count < bytes.count {
            let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if got < 0, errno == EINTR { continue }
            if got < 0 { return .failure(Problem(message: "cannot read \(what) \(path): \(errorText(errno))")) }
            if got == 0 { break }
            count += got
        }
        guard count <= 4096 else { return .failure(Problem(message: "\(what) \(path) is larger than 4 KiB")) }
        var token = Array(bytes[..<count])
        while let last = token.last, [0x20, 0x09, 0x0A, 0x0D].contains(last) { token.removeLast() }
        guard !token.isEmpty else { return .failure(Problem(message: "\(what) \(path) is empty; write a random token, e.g. openssl rand -hex 32 > \(path)")) }
        guard token.count >= minimumTokenBytes else {
            return .failure(Problem(message: "the token in \(path) is \(token.count) bytes; use at least \(minimumTokenBytes), e.g. openssl rand -hex 32"))
        }
        return .success(token)
    }

    /// The process's working directory, `/` if it cannot be determined (it was removed).
    static func workingDirectory() -> String {
        guard let pointer = getcwd(nil, 0) else { return "/" }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
