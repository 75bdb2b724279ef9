import TesseraCore
import Testing

@testable import TesseraPostgres

/// `PostgresAvailability.run` turns the database's absence into `StoreUnavailableError`, but an operation's own
/// refusal, answered by a database that is there, reaches the caller as it was thrown.
@Suite("Refusals through PostgresAvailability.run")
struct OperationRefusalTests {
    @Test("an unknown tenant stays an AdministrationError, not 'database unavailable'")
    func unknownTenant() async throws {
        try await TestDatabase.with { database in
            let error = await #expect(throws: AdministrationError.self) {
                try await PostgresAvailability.run {
                    try await database.administration.applications(tenant: "nosuch.example")
                }
            }
            #expect(error?.description.hasPrefix("no tenant nosuch.example") == true)
        }
    }

    @Test("a refused migration stays a MigrationError")
    func refusedMigration() async throws {
        await #expect(throws: MigrationError.self) {
            try await PostgresAvailability.run { () async throws -> Void in throw MigrationError("edited") }
        }
    }
}
