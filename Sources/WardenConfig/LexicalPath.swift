/// Lexical path arithmetic for config paths: no file system access, no symlink resolution.
enum LexicalPath {
    /// `path` made absolute against `base` (itself absolute) and normalised: `.` and empty components
    /// dropped, `..` applied, no trailing slash. `..` above `/` stays at `/`.
    static func resolve(_ path: String, against base: String) -> String {
        normalize(path.hasPrefix("/") ? path : base + "/" + path)
    }

    /// Normalises an absolute path lexically (see `resolve`).
    static func normalize(_ path: String) -> String {
        var components: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..": if !components.isEmpty { components.removeLast() }
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    /// The directory part of an absolute, normalised path (`/` for `/x`).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}
