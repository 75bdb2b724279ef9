import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import TesseraPostgres
import TesseraServer

/// `--database-url`, falling back to `DATABASE_URL`, and a way to run work against that database.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "PostgreSQL URL, postgres://user:password@host:5432/database (env: DATABASE_URL).", valueName: "url"))
    var url: String?

    func databaseURL() throws -> DatabaseURL {
        guard let text = url ?? ProcessInfo.processInfo.environment["DATABASE_URL"], !text.isEmpty else {
            throw CommandFailure("no database: pass --database-url or set DATABASE_URL")
        }
        do {
            return try DatabaseURL(text)
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// Runs `body` with a connected client, then closes it. Any database error becomes one readable line.
    func withClient<Result: Sendable>(
        logger: Logger, _ body: @escaping @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let url = try databaseURL()
        let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            do {
                return try await PostgresAvailability.run(deadline: .seconds(30)) { try await body(client) }
            } catch let error as AdministrationError {
                throw CommandFailure(error.description)
            } catch let error as MigrationError {
                throw CommandFailure(error.description)
            } catch let error as CommandFailure {
                throw error
            } catch {
                throw CommandFailure(DatabaseErrorMessage.describe(error, url: url))
            }
        }
    }
}

/// A command that failed for a reason the operator can act on: printed as one line, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Logs go to standard error, so that standard output carries only results (and `--json` stays parseable).
enum CommandLogging {
    static func logger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "tessera") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
extension PasswordCPUGroup: ExpressibleByArgument {}
