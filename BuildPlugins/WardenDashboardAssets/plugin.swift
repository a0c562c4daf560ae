import Foundation
import PackagePlugin

/// Compiles the dashboard's assets into the binary: before every build, runs `scripts/embed-assets.sh`,
/// which writes `EmbeddedAssets.swift` (each `Sources/WardenDashboard/Assets/*.{css,js}` as a raw string)
/// into the plugin's work directory, rewriting it only when an asset changed.
@main
struct WardenDashboardAssets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let package = context.package.directoryURL
        return [
            .prebuildCommand(
                displayName: "Embedding the dashboard's assets",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [package.appending(path: "scripts/embed-assets.sh").path,
                            target.directoryURL.appending(path: "Assets").path, output.path],
                outputFilesDirectory: output)
        ]
    }
}
