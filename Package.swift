// swift-tools-version:6.2
//
// Warden's package. The target graph mirrors the architecture, lowest layer first:
//   L0 pure core      WardenCore, WardenConfig, WardenAPI       (decisions and values: no syscalls, no clocks)
//   L1 system edges   CWarden (C shim), WardenLinux             (posix_spawn, pidfd, /proc, files)
//                     CSystemd, WardenSystemd                   (libsystemd: sd_notify, watchdog, journal)
//   L2 runtime        WardenSupervisor                          (the coordinator actor, its owners, the event bus)
//                     WardenMetrics, WardenHistory, WardenNotify (subscribers of the event stream: Prometheus, SQLite,
//                                                               notification sinks over HTTP)
//   L3 interfaces     WardenHTTP, WardenClient, warden          (control API, CLI)
//                     WardenDashboard                           (the browser dashboard on the TCP listener)
// WardenAPI holds the control API's wire types and the `SupervisorControl` protocol: WardenHTTP and
// WardenClient depend on it, not on the runtime; only the `warden` executable wires the Supervisor in.
// Every target declares each module it imports (CI builds with --explicit-target-dependency-import-check).
// Collector plugins are separate executables (Plugins/) speaking the JSON-lines protocol whose message types
// live in WardenPluginProtocol (pure, shared with Warden); WardenPluginKit is the Swift author's runtime.
// warden-workload is a foreign program used by the tests and the demo; it imports nothing from Warden.
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("InternalImportsByDefault")]

let package = Package(
    name: "Warden",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "warden", targets: ["warden"]),
        .executable(name: "warden-workload", targets: ["warden-workload"]),
        .executable(name: "warden-collector-redis", targets: ["warden-collector-redis"]),
        .executable(name: "warden-collector-postgres", targets: ["warden-collector-postgres"]),
        .library(name: "WardenPluginKit", targets: ["WardenPluginKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // L0 — pure
        .target(name: "WardenCore", dependencies: ["WardenPluginProtocol"], swiftSettings: strict),
        .target(
            name: "WardenConfig",
            dependencies: ["WardenCore", "WardenPluginProtocol", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: strict),
        .target(name: "WardenAPI", dependencies: ["WardenCore", "WardenPluginProtocol"], swiftSettings: strict),
        .target(name: "WardenPluginProtocol", swiftSettings: strict),
        // L1 — Linux edges
        .target(name: "CWarden"),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(name: "WardenLinux", dependencies: ["WardenCore", "WardenPluginProtocol", "CWarden"], swiftSettings: strict),
        .target(
            name: "WardenSystemd",
            dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // Sets WATCHDOG_PID to its own pid and execs the worker (C: nothing runs between the two).
        .executableTarget(name: "warden-exec"),
        // L2 — runtime
        .target(
            name: "WardenSupervisor",
            dependencies: [
                "WardenCore", "WardenConfig", "WardenLinux", "WardenAPI", "WardenSystemd", "WardenPluginProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // L2 — consumers of the event stream
        .target(
            name: "WardenMetrics",
            dependencies: [
                "WardenAPI", "WardenCore", "WardenLinux", "WardenPluginProtocol",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict),
        .target(
            name: "WardenHistory",
            dependencies: [
                "WardenAPI", "WardenCore", "WardenPluginProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: strict),
        .target(
            name: "WardenNotify",
            dependencies: [
                "WardenAPI", "WardenConfig", "WardenCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // L3 — interfaces
        .target(
            name: "WardenHTTP",
            dependencies: [
                "WardenAPI", "WardenCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // The browser dashboard on the TCP listener: pages, login sessions, compiled-in assets (Assets/).
        .target(
            name: "WardenDashboard",
            dependencies: [
                "WardenAPI", "WardenCore", "WardenHTTP", "WardenLinux",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            exclude: ["Assets"],
            swiftSettings: strict,
            plugins: ["WardenDashboardAssets"]),
        // Embeds the dashboard's Assets/*.{css,js} as Swift string literals before every build: scripts/embed-assets.sh.
        .plugin(name: "WardenDashboardAssets", capability: .buildTool(), path: "BuildPlugins/WardenDashboardAssets"),
        .target(
            name: "WardenClient",
            dependencies: [
                "WardenAPI", "WardenCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "warden",
            dependencies: [
                "WardenConfig", "WardenAPI", "WardenCore", "WardenSupervisor", "WardenLinux", "WardenHTTP", "WardenClient",
                "WardenSystemd", "WardenMetrics", "WardenHistory", "WardenNotify", "WardenDashboard", "warden-exec",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict,
            plugins: ["WardenBuildInfo"]),
        // Generates warden's BuildInfo (commit, build date) before every build: scripts/build-info.sh.
        .plugin(name: "WardenBuildInfo", capability: .buildTool(), path: "BuildPlugins/WardenBuildInfo"),
        .executableTarget(name: "warden-workload", swiftSettings: strict),
        // Plugins — separate executables; they import only the protocol and the kit, never Warden itself
        .target(
            name: "WardenPluginKit",
            dependencies: ["WardenPluginProtocol"],
            swiftSettings: strict),
        .executableTarget(
            name: "warden-collector-redis",
            dependencies: [
                "WardenPluginKit", "WardenPluginProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Plugins/warden-collector-redis",
            swiftSettings: strict),
        .executableTarget(
            name: "warden-collector-postgres",
            dependencies: [
                "WardenPluginKit", "WardenPluginProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Plugins/warden-collector-postgres",
            swiftSettings: strict),
        // Benchmarks — the leak corpus (generated shapes, labelled traces, the product's promise) and its scorer
        .target(name: "WardenLeakCorpus", dependencies: ["WardenCore"], path: "Benchmarks/LeakCorpus", swiftSettings: strict),
        .executableTarget(
            name: "warden-stamp-bench", dependencies: ["WardenCore"], path: "Benchmarks/StampBench", swiftSettings: strict,
            linkerSettings: [.linkedLibrary("m")]),
        .executableTarget(
            name: "warden-leak-replay", dependencies: ["WardenCore", "WardenLeakCorpus"], path: "Benchmarks/LeakReplay",
            swiftSettings: strict),
        .executableTarget(
            name: "warden-history-bench",
            dependencies: ["WardenHistory", "WardenAPI", "WardenCore", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/HistoryBench", swiftSettings: strict),
        // Tests: one test target per source target it tests, plus the end-to-end and collector suites.
        // WardenTestSupport: the one child-process runner, HarnessError, built-product paths, real PostgreSQL
        // and Redis servers. WardenControlTestSupport: a fake SupervisorControl behind the real control server.
        .target(name: "WardenTestSupport", dependencies: ["WardenPluginProtocol"], path: "Tests/WardenTestSupport"),
        .target(
            name: "WardenControlTestSupport",
            dependencies: [
                "WardenHTTP", "WardenAPI", "WardenCore", "WardenTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/WardenControlTestSupport"),
        .testTarget(
            name: "WardenCoreTests",
            dependencies: ["WardenCore", "WardenPluginProtocol", "WardenTestSupport", "WardenLeakCorpus"]),
        .testTarget(name: "WardenConfigTests", dependencies: ["WardenConfig", "WardenCore", "WardenPluginProtocol"]),
        .testTarget(
            name: "WardenAPITests",
            dependencies: ["WardenAPI", "WardenCore", "WardenPluginProtocol", "WardenTestSupport"]),
        .testTarget(
            name: "WardenHistoryTests",
            dependencies: ["WardenHistory", "WardenAPI", "WardenCore", "WardenPluginProtocol", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "WardenMetricsTests",
            dependencies: ["WardenMetrics", "WardenCore", "WardenPluginProtocol", "WardenTestSupport"]),
        .testTarget(name: "WardenLinuxTests", dependencies: ["WardenLinux", "WardenCore"]),
        .testTarget(
            name: "WardenSupervisorTests",
            dependencies: [
                "WardenSupervisor", "WardenCore", "WardenConfig", "WardenLinux", "WardenAPI",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "WardenHTTPTests",
            dependencies: [
                "WardenHTTP", "WardenClient", "WardenAPI", "WardenCore", "WardenControlTestSupport",
                "WardenTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(
            name: "WardenDashboardTests",
            dependencies: [
                "WardenDashboard", "WardenHTTP", "WardenAPI", "WardenCore", "WardenControlTestSupport", "WardenTestSupport",
                "warden", "warden-workload",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["browser"]),
        .testTarget(
            name: "WardenClientTests",
            dependencies: ["WardenClient", "WardenAPI", "WardenCore", "WardenControlTestSupport", "WardenTestSupport"]),
        .testTarget(
            name: "WardenCLITests",
            dependencies: ["warden", "WardenAPI", "WardenControlTestSupport", "WardenTestSupport"]),
        .testTarget(
            name: "WardenIntegrationTests",
            dependencies: [
                "WardenTestSupport", "warden", "warden-workload", "warden-collector-redis", "warden-collector-postgres",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .testTarget(name: "WardenPluginProtocolTests", dependencies: ["WardenPluginProtocol"]),
        .testTarget(
            name: "WardenPluginTests",
            dependencies: ["WardenPluginKit", "WardenPluginProtocol", "WardenTestSupport", "warden-collector-redis"]),
        .testTarget(
            name: "WardenCollectorTests",
            dependencies: ["WardenPluginKit", "WardenPluginProtocol", "WardenTestSupport", "warden-collector-postgres"]),
    ]
)
