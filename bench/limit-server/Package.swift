// swift-tools-version:6.0
// The limit server of bench/run.sh (issue 15): what a token request costs with nothing behind it. Its own package,
// so that Tessera never depends on it.
import PackageDescription

let package = Package(
    name: "limit-server",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1")
    ],
    targets: [
        .executableTarget(
            name: "LimitServer",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        )
    ]
)
