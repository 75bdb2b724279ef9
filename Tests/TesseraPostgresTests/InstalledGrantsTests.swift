import TesseraCore
import TesseraPostgres
import TesseraServer
import TesseraTesting
import Testing

@Suite("Installed grants")
struct InstalledGrantsTests {
    @Test("the grant types app create accepts are exactly the registered grants")
    func listMatchesRegistry() async throws {
        try await TestDatabase.with { database in
            let dependencies = InstalledGrants.Dependencies(
                users: InMemoryUserDirectory(), ledger: PostgresTokenLedger(client: database.client),
                passwords: TestPasswordHasher(), loginThrottle: LoginThrottle())
            let registry = InstalledGrants.registry(
                issuer: TokenIssuer(store: InMemoryTokenStore()), dependencies: dependencies)
            #expect(registry.grantTypes == InstalledGrants.grantTypes)
            #expect(registry.grantTypes == ["client_credentials", "password", "refresh_token"])
        }
    }
}
