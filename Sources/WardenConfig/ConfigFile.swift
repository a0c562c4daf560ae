#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The only file-system access of WardenConfig: reading the config file and the working directory.
enum ConfigFile {
    /// Why the file could not be turned into text, phrased for a diagnostic.
    struct Problem: Error {
        var message: String
    }

    /// Largest config file accepted; anything bigger is surely not a config.
    static let maximumSize = 16 * 1024 * 1024

    /// The whole file as UTF-8 text.
    static func contents(of path: String) -> Result<String, Problem> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Problem(message: "cannot open config file: \(errorText(errno))")) }
        defer { close(fd) }
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
            return .failure(Problem(message: "config file is not valid UTF-8 text"))
        }
        return .success(text)
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
