import Testing
import TesseraCore
import TesseraServer
import TesseraTesting

@Suite("Installed grants")
struct InstalledGrantsTests {
    @Test("the grant types app create accepts are exactly the registered grants")
    func listMatchesRegistry() {
        let dependencies = InstalledGrants.Dependencies(
            users: InMemoryUserDirectory(), passwords: TestPasswordHasher(), loginThrottle: LoginThrottle())
        let registry = InstalledGrants.registry(issuer: TokenIssuer(store: InMemoryTokenStore()), dependencies: dependencies)
        #expect(registry.grantTypes == InstalledGrants.grantTypes)
        #expect(registry.grantTypes == ["client_credentials", "password"])
    }
}
