import Logging
import PostgresNIO
import TesseraCore

/// Writes reported done only once their commit is.
///
/// A statement commits in an implicit transaction at the extended protocol's Sync, after its CommandComplete is
/// already in the server's output buffer. That buffer normally leaves with the commit's ReadyForQuery; but when
/// PostgreSQL stops waiting for a synchronous standby (fast shutdown, failover) it first sends the warning
/// "canceling the wait for synchronous replication", which flushes the buffer, and PostgresNIO completes the
/// statement on that CommandComplete: a success for a commit that may vanish with the old primary. A token it
/// carried was answered 200 (`CommitDurabilityTests`).
///
/// So a write is followed by a trivial statement on the same connection. PostgreSQL reads it only after the Sync
/// before it, and answers it only once that commit is complete; the backend that gave up waiting for the standby
/// exits instead, so the write fails and its token is answered 503. One round trip more per write (per batch, for
/// the group commit). Not an explicit BEGIN and COMMIT: that costs two, and holds the write's row locks across a
/// round trip to this process, which serialised a burst of claims of one reusable token behind each other's
/// COMMIT (`TokenReuseTests`, a burst on two instances).
extension PostgresConnection {
    /// Runs one prepared statement and returns its rows once its commit is complete.
    func committed<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws
        -> [Statement.Row] where Statement.Row: Sendable
    {
        var rows: [Statement.Row] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        try await awaitCommit(logger: logger)
        return rows
    }

    /// Runs one statement and returns its rows once its commit is complete.
    func committed(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        let rows = try await self.query(query, logger: logger).collect()
        try await awaitCommit(logger: logger)
        return rows
    }

    private func awaitCommit(logger: Logger) async throws {
        // A statement written to a channel already closed is dropped unanswered (see `PostgresAvailability`): the
        // write would then fail only at its deadline.
        guard !isClosed else { throw StoreUnavailableError("the database closed the connection before the commit") }
        for try await _ in try await execute(CommitBarrier(), logger: logger) {}
    }
}

/// `SELECT 1` as a prepared statement: parsed once per connection, so that each write pays only for its round trip.
///
/// Every statement of ours names itself: PostgresNIO's default name is `String(reflecting:)` of the type, made
/// again on every execution (0.5 us each, two per token).
struct CommitBarrier: PostgresPreparedStatement {
    static let name = "tessera.CommitBarrier"
    static let sql = "SELECT 1"
    typealias Row = Int32

    func makeBindings() throws -> PostgresBindings { PostgresBindings() }
    func decodeRow(_ row: PostgresRow) throws -> Int32 { try row.decode(Int32.self) }
}

extension DatabaseClient {
    /// As `PostgresConnection.committed(_:logger:)` on a connection of the pool.
    func committed<Statement: PostgresPreparedStatement>(
        _ statement: Statement, logger: Logger = PostgresAvailability.statementLogger
    ) async throws -> [Statement.Row] where Statement.Row: Sendable {
        try await current.withConnection { connection in try await connection.committed(statement, logger: logger) }
    }

    /// As `PostgresConnection.committed(_:logger:)` on a connection of the pool.
    func committed(_ query: PostgresQuery, logger: Logger = PostgresAvailability.statementLogger) async throws
        -> [PostgresRow]
    {
        try await current.withConnection { connection in try await connection.committed(query, logger: logger) }
    }
}

extension PostgresAvailability {
    /// For statements of a caller without a logger of its own: PostgresNIO logs each statement at debug level
    /// only, which a server's log never shows.
    static let statementLogger = Logger(label: "tessera.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
}
