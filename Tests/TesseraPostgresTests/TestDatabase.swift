import Foundation
import Logging
import PostgresNIO
import TesseraCore
import TesseraPostgres
import Testing

/// A fresh database for one test, on the server of `TESSERA_TEST_DATABASE_URL`, dropped when the test ends.
///
/// Each test gets its own database so that tests run in parallel without seeing each other's rows.
/// Without the variable the test fails: a database test never skips quietly.
struct TestDatabase: Sendable {
    static let environmentVariable = "TESSERA_TEST_DATABASE_URL"
    static let missingVariable =
        "\(environmentVariable) is not set: run deploy/test.sh, or set it to postgres://user@host:port/db"

    /// The per-test database's name, `tessera_t_<random>`.
    let name: String
    /// A running client on the per-test database.
    let client: PostgresClient
    let configuration: PostgresClient.Configuration
    let logger: Logger

    /// Creates the database (migrated to the embedded migrations unless `migrated` is false), runs `body`
    /// with a running client on it, and drops the database however `body` ends.
    static func with<Result: Sendable>(
        migrated: Bool = true,
        _ body: (TestDatabase) async throws -> Result
    ) async throws -> Result {
        let server = try serverConfiguration()
        let logger = Self.logger
        let name = "tessera_t_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        try await administer(server, logger: logger, "CREATE DATABASE \(name)")
        do {
            var configuration = server
            configuration.database = name
            let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
            let result = try await client.running {
                let database = TestDatabase(name: name, client: client, configuration: configuration, logger: logger)
                if migrated {
                    try await MigrationRunner(migrations: Migration.embedded()).migrate(client: client, logger: logger)
                }
                return try await body(database)
            }
            try await administer(server, logger: logger, "DROP DATABASE \(name) WITH (FORCE)")
            return result
        } catch {
            try? await administer(server, logger: logger, "DROP DATABASE \(name) WITH (FORCE)")
            throw error
        }
    }

    /// Another client of this database, not yet running: a second server, or the operator's CLI.
    func makeClient() -> PostgresClient {
        PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// The configuration of `TESSERA_TEST_DATABASE_URL`; records a failure when the variable is missing.
    static func serverConfiguration() throws -> PostgresClient.Configuration {
        try DatabaseURL(try serverConfigurationURL()).clientConfiguration()
    }

    /// `TESSERA_TEST_DATABASE_URL`; records a failure when the variable is missing.
    static func serverConfigurationURL() throws -> String {
        try #require(ProcessInfo.processInfo.environment[environmentVariable], Comment(rawValue: missingVariable))
    }

    /// Quiet; `TESSERA_TEST_LOG=1` shows errors, such as why a request answered 500 or 503.
    static var logger: Logger {
        var logger = Logger(label: "tessera.postgres-tests")
        logger.logLevel = ProcessInfo.processInfo.environment["TESSERA_TEST_LOG"] == nil ? .critical : .error
        return logger
    }

    /// Runs one statement on the server's own database (CREATE and DROP DATABASE cannot run inside the target).
    private static func administer(
        _ configuration: PostgresClient.Configuration, logger: Logger, _ sql: String
    ) async throws {
        let admin = PostgresClient(configuration: configuration, backgroundLogger: logger)
        try await admin.running {
            try await admin.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }
}

extension PostgresClient {
    /// Runs the client's connection pool for the duration of `body`.
    func running<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// Every row of `query`, decoded.
    func rows<each Column: PostgresDecodable>(
        _ query: PostgresQuery, as types: (repeat each Column).Type = (repeat each Column).self
    ) async throws -> [(repeat each Column)] {
        var rows: [(repeat each Column)] = []
        for try await row in try await self.query(query).decode((repeat each Column).self) {
            rows.append(row)
        }
        return rows
    }
}
