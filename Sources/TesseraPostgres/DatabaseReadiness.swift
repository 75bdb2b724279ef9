import Logging
import PostgresNIO
import Synchronization
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
        guard let status = await statusWithinDeadline() else {
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

    /// The migration status, or nil when there is none within the deadline. The query is cancelled then but not
    /// waited for: while the database refuses connections, a cancelled lease ends when the pool gets to it, and
    /// the probe must answer on time.
    private func statusWithinDeadline() async -> MigrationRunner.Status? {
        await withCheckedContinuation { (continuation: CheckedContinuation<MigrationRunner.Status?, Never>) in
            let answered = Mutex(false)
            let answer: @Sendable (MigrationRunner.Status?) -> Void = { status in
                let first = answered.withLock { answered in
                    defer { answered = true }
                    return !answered
                }
                if first { continuation.resume(returning: status) }
            }
            let query = Task { [client, runner, logger] in
                do {
                    answer(try await runner.status(client: client, logger: logger))
                } catch {
                    logger.debug("readiness: no answer from the database", metadata: ["error": "\(error)"])
                    answer(nil)
                }
            }
            Task {
                try? await Task.sleep(for: Self.deadline)
                query.cancel()
                answer(nil)
            }
        }
    }
}
