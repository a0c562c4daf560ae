import Glibc
public import WardenCore

/// Finds the executable file for a program's `command[0]`, the way Warden documents it: a name with a `/`
/// is a path; a bare name is looked up next to the warden binary first, then on PATH.
public enum ExecutableResolver {
    /// Default search path when none is given and Warden's own PATH is unset.
    public static let defaultSearchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Resolves `name` to the absolute path of a regular file that is executable (access(2) X_OK).
    ///
    /// - A `name` containing `/` is used as is when absolute. A relative one (`./bin/app`, `bin/app`) is
    ///   taken relative to `workingDirectory` when given (the supervisor passes the config file's directory),
    ///   otherwise relative to Warden's current working directory (getcwd(3)).
    /// - A bare name is looked up in `preferDirectory` (normally `currentExecutableDirectory()`, so that
    ///   helper programs shipped next to warden win), then in each entry of `searchPath` in order.
    ///   `searchPath` nil means Warden's own `PATH`, or `defaultSearchPath` if that is unset. Empty and
    ///   relative PATH entries are skipped: a supervisor must not run whatever sits in its working directory.
    /// - Returns: the absolute path, or nil when no candidate is an executable regular file.
    public static func resolve(
        _ name: String, searchPath: String?, preferDirectory: String?, workingDirectory: String? = nil
    ) -> String? {
        candidates(name, searchPath: searchPath, preferDirectory: preferDirectory, workingDirectory: workingDirectory)
            .paths.first(where: isExecutableFile)
    }

    /// Why `resolve` found nothing for these inputs: the absolute path tried for a path, or the directories
    /// searched for a bare name.
    public static func notFound(
        _ name: String, searchPath: String?, preferDirectory: String?, workingDirectory: String? = nil
    ) -> SpawnFailure {
        let tried = candidates(name, searchPath: searchPath, preferDirectory: preferDirectory, workingDirectory: workingDirectory)
        if name.contains("/") { return .executableNotFoundAt(command: name, tried: tried.paths.first ?? name) }
        return .executableNotFoundIn(command: name, searched: tried.directories)
    }

    /// The names of the executable files in `directories` that start with `prefix`, each once, sorted
    /// (for a "did you mean" among what is installed). Unreadable directories contribute nothing.
    public static func executables(prefixed prefix: String, in directories: [String]) -> [String] {
        var found = Set<String>()
        for directory in directories {
            guard let stream = opendir(directory) else { continue }
            defer { closedir(stream) }
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name.hasPrefix(prefix), isExecutableFile(directory + "/" + name) { found.insert(name) }
            }
        }
        return found.sorted()
    }

    /// The absolute paths `resolve` tries, in order, and for a bare name the directories they are in.
    static func candidates(
        _ name: String, searchPath: String?, preferDirectory: String?, workingDirectory: String?
    ) -> (paths: [String], directories: [String]) {
        guard !name.isEmpty, !name.utf8.contains(0) else { return ([], []) }
        if name.contains("/") {
            if name.hasPrefix("/") { return ([name], []) }
            guard let base = workingDirectory ?? currentDirectory() else { return ([], []) }
            let relative = name.hasPrefix("./") ? String(name.dropFirst(2)) : name
            let candidate = (base.hasSuffix("/") ? base : base + "/") + relative
            return (candidate.hasPrefix("/") ? [candidate] : [], [])
        }
        let path = searchPath ?? getenv("PATH").map { String(cString: $0) } ?? defaultSearchPath
        // Each directory once, first occurrence first: a PATH that repeats entries is searched (and named
        // in an error) once per directory.
        var seen = Set<String>()
        let directories = ((preferDirectory.map { [Substring($0)] } ?? []) + path.split(separator: ":"))
            .filter { $0.hasPrefix("/") }.map(String.init).filter { seen.insert($0).inserted }
        let paths = directories.map { ($0.hasSuffix("/") ? $0 : $0 + "/") + name }
        return (paths, directories)
    }

    /// The directory containing the running executable, from readlink(2) of `/proc/self/exe` (symlinks
    /// resolved). Falls back to the directory of `CommandLine.arguments[0]`, made absolute, if /proc is not
    /// mounted.
    public static func currentExecutableDirectory() -> String {
        var path = withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(PATH_MAX) + 1) { buffer in
            let count = readlink("/proc/self/exe", buffer.baseAddress!, buffer.count - 1)
            guard count > 0 else { return String?.none }
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: count), as: UTF8.self)
        } ?? CommandLine.arguments.first ?? "."
        if !path.hasPrefix("/") { path = (currentDirectory() ?? "") + "/" + path }
        guard let slash = path.lastIndex(of: "/") else { return "/" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Whether `path` names a regular file that this process may execute.
    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }

    /// getcwd(3), or nil if the working directory was removed or is too long.
    static func currentDirectory() -> String? {
        guard let cwd = getcwd(nil, 0) else { return nil }
        defer { free(cwd) }
        return String(cString: cwd)
    }
}
