import Foundation

/// The package's built executables (`warden`, `warden-workload`, the collectors), which SwiftPM puts next
/// to the test bundle.
package enum BuiltProducts {
    /// The directory of the test bundle; else the package's `.build/debug` (a bundle run from elsewhere).
    package static let directory: URL = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()]
        where FileManager.default.isExecutableFile(atPath: candidate.appendingPathComponent("warden").path) {
            return candidate
        }
        return repository.appendingPathComponent(".build/debug")
    }()

    /// The path of the product `name` (which may not exist: see `existing`).
    package static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The path of the product `name` if it was built.
    package static func existing(_ name: String) -> String? {
        let path = path(name)
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// The repository root (this file is Tests/WardenTestSupport/BuiltProducts.swift).
    package static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}
