// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "tessera",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tessera", targets: ["tessera"]),
        .library(name: "TesseraCore", targets: ["TesseraCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
    ],
    targets: [
        // The core: domain types, the token endpoint pipeline, the grant seam. No I/O library.
        .target(
            name: "TesseraCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                // RSA public keys of clients' private_key_jwt assertions (RS256, PS256).
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Grant plugins: one target each, the core's public API only.
        .target(
            name: "ClientCredentialsGrant",
            dependencies: ["TesseraCore"],
            path: "Plugins/ClientCredentialsGrant",
            swiftSettings: strict
        ),
        // In-memory stores and fixtures for tests of the core, the HTTP layer and grant plugins.
        .target(
            name: "TesseraTesting",
            dependencies: [
                "TesseraCore", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PasswordGrant",
            // Logging only because the core's GrantContext hands grants a Logger.
            dependencies: ["TesseraCore", .product(name: "Logging", package: "swift-log")],
            path: "Plugins/PasswordGrant",
            swiftSettings: strict
        ),
        .target(
            name: "RefreshTokenGrant",
            dependencies: ["TesseraCore", .product(name: "Logging", package: "swift-log")],
            path: "Plugins/RefreshTokenGrant",
            swiftSettings: strict
        ),
        // The browser pages: HTML escaped by default, the browser cookie and its CSRF tokens, the content security
        // policy. The authorization endpoint's sign-in and consent pages use it; so will the console.
        .target(
            name: "TesseraPages",
            dependencies: [
                "TesseraCore", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636, RFC 9700), with its own /authorize
        // endpoint and pages.
        .target(
            name: "AuthorizationCodeGrant",
            dependencies: ["TesseraCore", "TesseraPages", .product(name: "Logging", package: "swift-log")],
            path: "Plugins/AuthorizationCodeGrant",
            swiftSettings: strict
        ),
        // PostgreSQL stores, the migration runner, and the directory cache's change feed.
        .target(
            name: "TesseraPostgres",
            dependencies: [
                "TesseraCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict,
            plugins: ["EmbedMigrationsPlugin"]
        ),
        // Routes, error rendering and security headers over Hummingbird.
        .target(
            name: "TesseraHTTP",
            dependencies: [
                "TesseraCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // The administration API: handlers over the operations of TesseraPostgres (DirectoryAdministration, ...), with
        // types generated from its OpenAPI document (Sources/TesseraAdmin/openapi.json), which it also serves; and the
        // console, its pages for a tenant's administrators, which call those handlers in process.
        .target(
            name: "TesseraAdmin",
            dependencies: [
                "TesseraCore", "TesseraPostgres", "TesseraHTTP", "TesseraPages",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict,
            plugins: [
                .plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator"), "EmbedOpenAPIPlugin",
            ]
        ),
        // Composition: which grants are installed, and the `serve` wiring of pool, cache and router.
        // Documents clients publish at URLs they register (jwks_uri; later Client ID Metadata Documents), fetched
        // with limits a client's URL cannot get around.
        .target(
            name: "TesseraFetch",
            dependencies: [
                "TesseraCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TesseraServer",
            dependencies: [
                "TesseraCore", "TesseraPostgres", "TesseraHTTP", "TesseraAdmin", "TesseraFetch",
                "ClientCredentialsGrant",
                "PasswordGrant", "RefreshTokenGrant", "AuthorizationCodeGrant", "CConcurrencyHook",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "tessera",
            dependencies: [
                "TesseraCore", "TesseraPostgres", "TesseraServer", "TesseraHTTP", "TesseraAdmin",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The Swift runtime's global-enqueue hook, for EventLoopExecutor (a C global has no Swift name).
        .target(name: "CConcurrencyHook"),
        // Build tooling: compiles sql/migrations and the OpenAPI document into the binary, so the files stay the one
        // source.
        .executableTarget(name: "EmbedFiles", path: "BuildTools/EmbedFiles"),
        .plugin(
            name: "EmbedMigrationsPlugin",
            capability: .buildTool(),
            dependencies: ["EmbedFiles"],
            path: "BuildTools/EmbedMigrationsPlugin"
        ),
        .plugin(
            name: "EmbedOpenAPIPlugin",
            capability: .buildTool(),
            dependencies: ["EmbedFiles"],
            path: "BuildTools/EmbedOpenAPIPlugin"
        ),
        .testTarget(
            name: "TesseraCoreTests",
            dependencies: [
                "TesseraCore", "TesseraTesting", "ClientCredentialsGrant", "PasswordGrant", "RefreshTokenGrant",
                "AuthorizationCodeGrant", "TesseraPages", .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TesseraHTTPTests",
            dependencies: [
                "TesseraCore", "TesseraHTTP", "TesseraTesting", "ClientCredentialsGrant",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TesseraPostgresTests",
            dependencies: [
                "TesseraCore", "TesseraPostgres", "TesseraServer", "TesseraHTTP", "TesseraTesting",
                "ClientCredentialsGrant",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TesseraServerTests",
            dependencies: [
                "TesseraServer", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TesseraFetchTests",
            dependencies: [
                "TesseraFetch", "TesseraCore", "TesseraTesting", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TesseraEndToEndTests",
            dependencies: ["tessera", "TesseraTesting"],
            swiftSettings: strict
        ),
    ]
)
