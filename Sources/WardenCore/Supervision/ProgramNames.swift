/// How long a program name may be, and how a name too long to show is shown.
public enum ProgramNames {
    /// Longest program name, characters (`[programs.NAME]`); instance names add `:INDEX`.
    public static let maxLength = 128

    /// `name` quoted, cut after `maxLength` characters with `…` when longer: what errors and logs show
    /// of a name that came from outside.
    public static func clipped(_ name: String) -> String {
        name.count <= maxLength ? "\"\(name)\"" : "\"\(name.prefix(maxLength))…\""
    }
}
