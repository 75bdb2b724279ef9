import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the built `tessera` binary as an operator would: commands, and `serve` as a child process.
enum TesseraBinary {
    struct Result: Sendable {
        let status: Int32
        let output: String
        let error: String
    }

    static var url: URL {
        if let path = ProcessInfo.processInfo.environment["TESSERA_BINARY"] { return URL(fileURLWithPath: path) }
        // Tests/TesseraEndToEndTests/ -> the package root's debug build.
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/tessera")
    }

    /// The throwaway database that deploy/test.sh starts; the test fails, never skips, without it.
    static func databaseURL() throws -> String {
        try #require(
            ProcessInfo.processInfo.environment["TESSERA_TEST_DATABASE_URL"],
            "TESSERA_TEST_DATABASE_URL is not set: run the suite with deploy/test.sh, which starts PostgreSQL")
    }

    /// The test database, migrated: a test that starts a server must not count on another test having migrated it
    /// first (the order of tests is not fixed; a server on an unmigrated database refuses to start).
    static func migratedDatabaseURL() async throws -> String {
        let database = try databaseURL()
        let migrated = try await run(["migrate"], databaseURL: database)
        try #require(migrated.status == 0, "migrate: \(migrated.error)")
        return database
    }

    /// An application's credentials as `app create --json` prints them.
    struct CreatedApplication: Decodable {
        let consumer_key: String
        let consumer_secret: String
    }

    /// Migrates, then creates a tenant named `<prefix>-<random>.test` and one application in it through the CLI.
    static func tenantWithApplication(_ prefix: String, databaseURL: String, appOptions: [String] = []) async throws
        -> (domain: String, app: CreatedApplication)
    {
        let domain = "\(prefix)-\(UInt32.random(in: 0...UInt32.max)).test"
        #expect(try await run(["migrate"], databaseURL: databaseURL).status == 0)
        #expect(try await run(["tenant", "create", domain], databaseURL: databaseURL).status == 0)
        let created = try await run(
            ["app", "create", "--tenant", domain, "--name", prefix, "--json"] + appOptions, databaseURL: databaseURL)
        try #require(created.status == 0, "app create: \(created.error)")
        return (domain, try JSONDecoder().decode(CreatedApplication.self, from: Data(created.output.utf8)))
    }

    /// Runs a command and waits for it on a thread of its own (`offThePool`): a test waiting here must not hold
    /// one of the concurrency pool's two threads, which every other test's deadlines need.
    static func run(
        _ arguments: [String], databaseURL: String?, input: String? = nil, environment extra: [String: String] = [:]
    ) async throws -> Result {
        try await offThePool { try runBlocking(arguments, databaseURL: databaseURL, input: input, environment: extra) }
    }

    private static func runBlocking(
        _ arguments: [String], databaseURL: String?, input: String?, environment extra: [String: String]
    ) throws -> Result {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = environment(databaseURL: databaseURL).merging(extra) { $1 }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let inputPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(Data(input.utf8))
            try inputPipe.fileHandleForWriting.close()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            error: String(decoding: errorData, as: UTF8.self))
    }

    /// Starts `tessera serve`, with its standard error (the log) going to `log`.
    static func serve(
        _ arguments: [String], databaseURL: String, log: URL, environment extra: [String: String] = [:]
    ) throws -> Process {
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = url
        process.arguments = ["serve"] + arguments
        process.environment = environment(databaseURL: databaseURL).merging(extra) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        return process
    }

    /// The test's environment with `DATABASE_URL`, and the HTTPS and metrics listeners off unless a test turns them
    /// on with an option: their fixed default ports would collide between servers that tests run in parallel.
    static func environment(databaseURL: String?) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        environment["TESSERA_HTTPS_PORT"] = environment["TESSERA_HTTPS_PORT"] ?? "0"
        environment["TESSERA_METRICS_PORT"] = environment["TESSERA_METRICS_PORT"] ?? "0"
        return environment
    }

    /// A loopback port nobody listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        try #require(bound, "could not find a free port")
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs SQL through psql (installed with PostgreSQL by deploy/test.sh) and returns its unaligned output.
    static func psql(_ sql: String, databaseURL: String) async throws -> String {
        try await psql(["-c", sql], databaseURL: databaseURL)
    }

    /// Runs psql with `arguments` (a `-f` file, `-v` variables) after the URL and `-At`.
    static func psql(_ arguments: [String], databaseURL: String) async throws -> String {
        try await offThePool { try psqlBlocking(arguments, databaseURL: databaseURL) }
    }

    private static func psqlBlocking(_ arguments: [String], databaseURL: String) throws -> String {
        let candidates =
            ["/usr/bin/psql"]
            + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .map { "/usr/lib/postgresql/\($0)/bin/psql" }
        let psql = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) }, "psql not found")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: psql)
        process.arguments = [databaseURL, "-v", "ON_ERROR_STOP=1", "-At"] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "psql failed for: \(arguments)")
        return String(decoding: data, as: UTF8.self)
    }
}
