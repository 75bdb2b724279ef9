import ArgumentParser
import Foundation
import Logging
import TesseraPostgres

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending schema migrations (safe to run from several places at once).",
        discussion: "The migrations are compiled into this binary from sql/migrations; no checkout is needed."
    )

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = CommandLogging.logger(level: .warning)
        let runner = MigrationRunner(migrations: try Migration.embedded())
        let applied = try await database.withClient(logger: logger) { client in
            try await runner.migrate(client: client, logger: logger)
        }
        if applied.isEmpty {
            print("database is up to date (\(runner.migrations.count) migrations)")
        } else {
            for migration in applied { print("applied \(migration.name)") }
        }
    }
}
