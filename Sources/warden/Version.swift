/// Warden's release version; `warden --version` adds the commit and build date (`BuildInfo`, generated
/// before each build by the WardenBuildInfo plugin from `git describe`).
enum WardenVersion {
    static let number = "0.13.0"

    /// `warden 0.13.0 (commit 46cb1aa0f3c2-dirty, built 2026-12-06)`.
    static var text: String { "warden \(number) (commit \(BuildInfo.commit), built \(BuildInfo.date))" }
}
