// swift-tools-version: 6.0
import PackageDescription

/// Defter: an event-sourced, verifiable ledger for a city's citizen-request line.
///
/// Modules depend one way, from the storage core outwards:
/// `CLMDB` (C) -> `DefterLog` (the append-only, provable log) -> `DefterCLI` -> `defter`.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Defter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "defter", targets: ["defter"]),
        .library(name: "DefterLog", targets: ["DefterLog"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // The only place that sees LMDB's C API.
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        // SQLite, used only by the benchmark as a baseline.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // jemalloc, linked into the executables only: replay allocates on one thread and frees
        // on another, which glibc's malloc serialises on its arena locks (the year's rebuild ran
        // ~1.5x faster with it; see docs/benchmarks.md).
        .systemLibrary(
            name: "CJemalloc",
            pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]
        ),
        // zlib, for the gzip request bodies a C2SP tlog-mirror must accept (add-entries).
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // SHA-256 for the Merkle tree without a heap allocation a hash, with the CPU's SHA extensions.
        .target(name: "CDefterSHA256"),
        .target(
            name: "DefterLog",
            dependencies: [
                "CLMDB",
                "CDefterSHA256",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // A C2SP tlog-witness: cosigns a log's checkpoints that provably extend the last one it cosigned.
        .target(
            name: "DefterWitness",
            dependencies: ["DefterLog", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // A verifying mirror: follows a log's C2SP tiles and appends what checks, byte for byte.
        .target(
            name: "DefterMirror",
            dependencies: [
                "DefterLog", "DefterWitness", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The ticket domain: pure (no I/O, no LMDB), decide/evolve over events.
        .target(
            name: "DefterDomain",
            swiftSettings: swiftSettings
        ),
        // The router: Turkish text, a curated lexicon and a naive Bayes model trained on a corpus.
        .target(
            name: "DefterRouting",
            dependencies: ["DefterDomain", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Resources/corpus.csv"), .copy("Resources/lexicon.json"), .copy("Resources/router-model.bin")],
            swiftSettings: swiftSettings
        ),
        // Photos: checks that a file is the JPEG, PNG or WebP it claims and strips its metadata. Pure.
        .target(
            name: "DefterImages",
            swiftSettings: swiftSettings
        ),
        // The application layer: intake, commands against the log, sealing personal data and photos.
        .target(
            name: "DefterTickets",
            dependencies: [
                "DefterDomain", "DefterRouting", "DefterLog", "DefterImages",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [
                .copy("Resources/catalog-v1.json"), .copy("Resources/catalog-v2.json"), .copy("Resources/reply-templates.json"),
            ],
            swiftSettings: swiftSettings
        ),
        // Moving in: a city's past requests from the system it used before (CSV, NDJSON, Open311),
        // mapped by a TOML file onto departments and states, and appended as imported records.
        .target(
            name: "DefterImport",
            dependencies: [
                "DefterDomain", "DefterLog", "DefterTickets",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: swiftSettings
        ),
        // Read models built from the log: ticket views, department queues, statistics.
        .target(
            name: "DefterProjections",
            dependencies: [
                "DefterDomain", "DefterLog", "DefterTickets",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Demo data: a city's year of calls through the real intake path.
        .target(
            name: "DefterDemo",
            dependencies: ["DefterDomain", "DefterLog", "DefterTickets", "DefterRouting"],
            swiftSettings: swiftSettings
        ),
        // Transparency: audits, ticket histories with proofs, and accountability reports.
        .target(
            name: "DefterTransparency",
            dependencies: ["DefterDomain", "DefterLog", "DefterTickets", "DefterProjections", "DefterWitness"],
            swiftSettings: swiftSettings
        ),
        // The HTTP service: Hummingbird routes over the modules below, bearer tokens with roles.
        .target(
            name: "DefterHTTP",
            dependencies: [
                "DefterDomain", "DefterLog", "DefterRouting", "DefterTickets", "DefterProjections", "DefterTransparency",
                "DefterImages", "DefterWitness", "DefterMirror", "CZlib", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The staff console and the public pages: static HTML, CSS and JavaScript modules, no build step.
            resources: [.copy("Console"), .copy("PublicPages")],
            swiftSettings: swiftSettings
        ),
        // Telling citizens about their tickets: the notifier worker, a small SMTP client over
        // SwiftNIO, and an SMS gateway's webhook.
        .target(
            name: "DefterNotify",
            dependencies: [
                "DefterDomain", "DefterLog", "DefterTickets",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DefterCLI",
            dependencies: [
                "DefterLog", "DefterDomain", "DefterRouting", "DefterTickets", "DefterProjections", "DefterDemo", "DefterHTTP",
                "DefterTransparency", "DefterNotify", "DefterWitness", "DefterMirror", "DefterImport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "defter",
            dependencies: ["DefterCLI", "CJemalloc"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "DefterBench",
            dependencies: [
                "DefterLog", "DefterDomain", "DefterRouting", "DefterTickets", "DefterProjections", "DefterDemo", "DefterTransparency",
                "CLMDB",
                "CSQLite",
                "CJemalloc",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DefterLogTestSupport",
            dependencies: ["DefterLog"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DefterLogTests",
            dependencies: ["DefterLog", "DefterLogTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DefterMirrorTests",
            dependencies: [
                "DefterMirror", "DefterLog", "DefterLogTestSupport", "DefterWitness",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DefterWitnessTests",
            dependencies: ["DefterWitness", "DefterLog", "DefterLogTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DefterDomainTests",
            dependencies: ["DefterDomain"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DefterImagesTests",
            dependencies: ["DefterImages"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DefterRoutingTests",
            dependencies: ["DefterDomain", "DefterRouting", "DefterTickets", "DefterLog", "DefterLogTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DefterTicketsTests",
            dependencies: ["DefterDomain", "DefterRouting", "DefterTickets", "DefterLog", "DefterLogTestSupport", "DefterImages"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DefterProjectionsTests",
            dependencies: [
                "DefterDomain", "DefterLog", "DefterTickets", "DefterProjections", "DefterRouting", "DefterDemo", "DefterLogTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DefterHTTPTests",
            dependencies: [
                "DefterDomain", "DefterLog", "DefterTickets", "DefterProjections", "DefterRouting", "DefterHTTP", "DefterLogTestSupport",
                "DefterImages", "DefterWitness", "DefterMirror", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DefterImportTests",
            dependencies: [
                "DefterDomain", "DefterLog", "DefterTickets", "DefterImport", "DefterProjections", "DefterTransparency",
                "DefterRouting", "DefterLogTestSupport",
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DefterNotifyTests",
            dependencies: ["DefterDomain", "DefterLog", "DefterTickets", "DefterNotify", "DefterLogTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DefterTransparencyTests",
            dependencies: [
                "DefterDomain", "DefterLog", "DefterTickets", "DefterProjections", "DefterRouting", "DefterDemo", "DefterTransparency",
                "DefterLogTestSupport", "DefterWitness",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DefterCLITests",
            dependencies: ["DefterLog", "DefterLogTestSupport", "defter"],
            swiftSettings: swiftSettings
        ),
    ]
)
