import PostgresNIO
import Synchronization
import TesseraCore
import Testing

@testable import TesseraPostgres

/// A batch worker's session: one leased connection for batch after batch, with the usual deadline on the lease.
@Suite("Database sessions of the batch workers", .timeLimit(.minutes(3)))
struct PostgresSessionTests {
    @Test("a session runs on a leased connection of the pool")
    func sessionRunsOnAConnection() async throws {
        try await TestDatabase.with { database in
            let answer = Mutex<Int?>(nil)
            try await PostgresAvailability.withConnection(database.client) { connection in
                let value = try? await Self.product(on: connection)
                answer.withLock { $0 = value }
            }
            #expect(answer.withLock { $0 } == 42)
        }
    }

    @Test("a connection that does not come within the deadline is a StoreUnavailableError, and the session never runs")
    func leaseDeadline() async throws {
        let client = try DatabaseOutageTests.unreachableClient()
        let ran = Atomic<Bool>(false)
        try await client.running {
            let started = ContinuousClock.now
            await #expect(throws: StoreUnavailableError.self) {
                try await PostgresAvailability.withConnection(client, deadline: .milliseconds(500)) { _ in
                    ran.store(true, ordering: .sequentiallyConsistent)
                }
            }
            // Slack for a loaded machine; the pool alone would keep the lease waiting much longer.
            #expect(ContinuousClock.now - started < .seconds(5))
        }
        let sessionRan = ran.load(ordering: .sequentiallyConsistent)
        #expect(!sessionRan)
    }

    static func product(on connection: PostgresConnection) async throws -> Int? {
        for try await value in try await connection.query("SELECT 6 * 7", logger: TestDatabase.logger).decode(Int.self)
        {
            return value
        }
        return nil
    }
}
