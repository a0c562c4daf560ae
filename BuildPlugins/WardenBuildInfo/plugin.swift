import Foundation
import PackagePlugin

/// Stamps the `warden` executable with its commit and build date: before every build, runs
/// `scripts/build-info.sh`, which writes `BuildInfo.swift` (`git describe --always --dirty`, the UTC day)
/// into the plugin's work directory, rewriting it only when a value changed so that an unchanged tree
/// compiles nothing again.
@main
struct WardenBuildInfo: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let package = context.package.directoryURL
        return [
            .prebuildCommand(
                displayName: "Stamping warden's build info (git describe, date)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [package.appending(path: "scripts/build-info.sh").path, package.path, output.path],
                outputFilesDirectory: output)
        ]
    }
}
