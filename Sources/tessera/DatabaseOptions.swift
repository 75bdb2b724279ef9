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

    /// Runs `body` with a connected client, then closes it. A refusal of the command's input fails with status 1;
    /// a database that cannot be reached or used fails with status 69 and the database's own reason. Check input
    /// that needs no database before: `body` throws database errors and `AdministrationError`s only.
    func withClient<Result: Sendable>(
        logger: Logger, _ body: @escaping @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let given = try databaseURL()
        // The pool would retry a refused connection quietly until the deadline; one connection says why at once,
        // and finds the host that takes writes when the URL names several.
        let url: DatabaseURL
        do {
            url = try await DatabaseProbe.locate(given, logger: logger)
        } catch {
            throw CommandFailure(DatabaseErrorMessage.describe(error, url: given), status: .databaseUnavailable)
        }
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
            } catch {
                throw CommandFailure(DatabaseErrorMessage.describe(error, url: url), status: .databaseUnavailable)
            }
        }
    }
}

/// A command that failed for a reason the operator can act on: printed as one line on standard error, ending the
/// process with `status` (main.swift).
struct CommandFailure: Error, CustomStringConvertible {
    /// The exit statuses docs/operations.md promises.
    enum Status: Int32 {
        /// The input or the configuration was refused (an unknown tenant, a duplicate name, an unknown grant type;
        /// any start `serve` refuses); nothing was written.
        case badInput = 1
        /// The database could not be reached or used (sysexits' EX_UNAVAILABLE): the same command may work later.
        case databaseUnavailable = 69
    }

    let description: String
    let status: Status

    init(_ description: String, status: Status = .badInput) {
        self.description = description
        self.status = status
    }
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
