/// Which config file a command uses when `-c` may be left out: `-c FILE`, else `$WARDEN_CONFIG`, else
/// `/etc/warden/warden.toml` when that file exists. Pure: the caller passes the environment and a way to
/// test for a file.
public enum ConfigLocation: Equatable, Sendable {
    /// Given with `-c`/`--config`.
    case option(String)
    /// From the `WARDEN_CONFIG` environment variable (used even when the file is missing: the load then
    /// says so, naming it).
    case environment(String)
    /// The system-wide default, which exists.
    case systemDefault

    /// The environment variable naming the config file when `-c` is not given.
    public static let environmentVariable = "WARDEN_CONFIG"
    /// The config file used when neither `-c` nor `WARDEN_CONFIG` is given, if it exists.
    public static let systemDefaultPath = "/etc/warden/warden.toml"

    /// The path to load.
    public var path: String {
        switch self {
        case .option(let path), .environment(let path): path
        case .systemDefault: Self.systemDefaultPath
        }
    }

    /// The config file for these inputs, or `nil` when there is none (no `-c`, `WARDEN_CONFIG` unset or
    /// empty, and no `/etc/warden/warden.toml`).
    public static func resolve(option: String?, environment: [String: String], fileExists: (String) -> Bool) -> ConfigLocation? {
        if let option { return .option(option) }
        if let path = environment[environmentVariable], !path.isEmpty { return .environment(path) }
        return fileExists(systemDefaultPath) ? .systemDefault : nil
    }

    /// What a command that needs a file says when there is none.
    public static let missingMessage =
        "no config file: pass -c FILE, set \(environmentVariable), or create \(systemDefaultPath)"
}
