import Logging
import PostgresNIO
import TesseraCore

/// Ready when tokens can be issued now: the database answers within a second, takes writes (a primary, not a
/// standby left behind by a failover), has the schema this build was written for, and no token batch or lookup
/// batch has been held past every deadline.
///
/// The check is one pooled connection and three catalog-sized reads. The server never migrates by itself, so a
/// database that a restore or a rollback left behind keeps the instance out of rotation until `tessera migrate`
/// has run.
public struct DatabaseReadiness: Sendable {
    public static let deadline: Duration = .seconds(1)

    /// Work on the request path that can report itself stuck (`GroupCommitTokenStore`, `BatchedTokenLedger`).
    public typealias StallCheck = @Sendable () -> Bool

    private let client: any DatabaseClient
    private let runner: MigrationRunner
    private let logger: Logger
    private let stalls: [(reason: String, isStalled: StallCheck)]

    /// - Parameter stalls: each with the reason readiness gives while it reports itself stalled.
    public init(
        client: any DatabaseClient, migrations: [Migration], logger: Logger,
        stalls: [(reason: String, isStalled: StallCheck)] = []
    ) {
        self.client = client
        self.runner = MigrationRunner(migrations: migrations)
        self.logger = logger
        self.stalls = stalls
    }

    public func check() async -> Readiness {
        if let stalled = stalls.first(where: { $0.isStalled() }) { return .unavailable(reason: stalled.reason) }
        let probe: Probe
        do {
            probe = try await PostgresAvailability.run(deadline: Self.deadline) { [client, runner, logger] in
                try await Probe(client: client, runner: runner, logger: logger)
            }
        } catch {
            logger.debug("readiness: no answer from the database", metadata: ["error": "\(error)"])
            return .unavailable(reason: "the database does not answer")
        }
        if probe.readOnly {
            return .unavailable(reason: "the database is read-only (a standby); tokens cannot be stored")
        }
        if !probe.status.pending.isEmpty {
            return .unavailable(reason: "the database schema is not migrated; run tessera migrate")
        }
        if !probe.status.modified.isEmpty {
            return .unavailable(reason: "an applied migration differs from this build's")
        }
        return .ready
    }

    private struct Probe: Sendable {
        let readOnly: Bool
        let status: MigrationRunner.Status

        init(client: any DatabaseClient, runner: MigrationRunner, logger: Logger) async throws {
            // A standby answers reads but refuses every token write.
            self.readOnly = try await ReadOnlyCheck.isReadOnly(
                client.current.query(ReadOnlyCheck.query, logger: logger))
            self.status = try await runner.status(client: client, logger: logger)
        }
    }
}
