import Foundation
import PostgresNIO
import TesseraCore
import TesseraPostgres
import Testing

/// A PostgreSQL restart must never leave a statement, a batch or a request waiting for good: each has a deadline
/// that holds even when the connection it ran on was closed under it.
@Suite("Database restarts", .serialized, .timeLimit(.minutes(2)))
struct DatabaseRestartTests {
    /// PostgresNIO hands a statement to its connection's channel with a write whose failure nobody hears: on a
    /// channel already closed, the statement is dropped and its answer never comes. The deadline must not wait
    /// for it.
    @Test("a statement on a connection the server has closed returns by its deadline")
    func statementOnClosedConnection() async throws {
        let cluster = try await ThrowawayCluster.start()
        defer { Task { await cluster.remove() } }
        let client = PostgresClient(
            configuration: try DatabaseURL(cluster.url).clientConfiguration(), backgroundLogger: TestDatabase.logger)
        try await client.running {
            try await client.withConnection { connection in
                _ = try await connection.query("SELECT 1", logger: TestDatabase.logger)
                try await cluster.stop()
                let closed = try await eventually(within: .seconds(10)) { connection.isClosed }
                try #require(closed, "the server's shutdown did not close the connection")
                let started = ContinuousClock.now
                await #expect(throws: StoreUnavailableError.self) {
                    try await PostgresAvailability.run(deadline: .seconds(1)) {
                        _ = try await connection.query("SELECT 1", logger: TestDatabase.logger)
                    }
                }
                #expect(ContinuousClock.now - started < .seconds(3), "the deadline is 1 s")
            }
        }
    }
}
