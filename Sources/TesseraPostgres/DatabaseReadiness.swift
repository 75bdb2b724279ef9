import Logging
import PostgresNIO
import TesseraCore

/// Ready when the database answers within a second and its schema is the one this build was written for.
///
/// The migration status is the trivial query: one connection, two catalog-sized reads. The server never
/// migrates by itself, so a database that a restore or a rollback left behind keeps the instance out of rotation
/// until `tessera migrate` has run.
public struct DatabaseReadiness: Sendable {
    public static let deadline: Duration = .seconds(1)

    private let client: PostgresClient
    private let runner: MigrationRunner
    private let logger: Logger

    public init(client: PostgresClient, migrations: [Migration], logger: Logger) {
        self.client = client
        self.runner = MigrationRunner(migrations: migrations)
        self.logger = logger
    }

    public func check() async -> Readiness {
        let status: MigrationRunner.Status
        do {
            status = try await PostgresAvailability.run(deadline: Self.deadline) { [client, runner, logger] in
                try await runner.status(client: client, logger: logger)
            }
        } catch {
            logger.debug("readiness: no answer from the database", metadata: ["error": "\(error)"])
            return .unavailable(reason: "the database does not answer")
        }
        if !status.pending.isEmpty {
            return .unavailable(reason: "the database schema is not migrated; run tessera migrate")
        }
        if !status.modified.isEmpty {
            return .unavailable(reason: "an applied migration differs from this build's")
        }
        return .ready
    }
}
