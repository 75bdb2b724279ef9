import Foundation
import TesseraCore
import TesseraPostgres
import Testing

/// Initial access tokens (issue 16) are kept while they could register a client, and purged after.
@Suite("Registration tokens and purge", .timeLimit(.minutes(2)))
struct RegistrationTokenPurgeTests {
    @Test("an initial access token is kept until it expires, spent or not, then purged")
    func purgedAfterExpiry() async throws {
        try await TestDatabase.with { database in
            _ = try await database.register()
            let made = try await database.administration.createRegistrationToken(
                tenant: "acme.example", uses: 1, lifetime: 60)
            _ = try await database.administration.createRegistrationToken(
                tenant: "acme.example", uses: 1, lifetime: 3600)
            let partitions = TokenPartitions(client: database.client, logger: database.logger)
            #expect(try await partitions.purge(now: Date()).expiredRegistrationTokens == 0)
            #expect(try await database.administration.registrationTokens(tenant: "acme.example").count == 2)
            let report = try await partitions.purge(now: made.expiresAt.addingTimeInterval(1))
            #expect(report.expiredRegistrationTokens == 1)
            let left = try await database.administration.registrationTokens(tenant: "acme.example")
            #expect(left.count == 1 && left.first?.id != made.id)
        }
    }
}
