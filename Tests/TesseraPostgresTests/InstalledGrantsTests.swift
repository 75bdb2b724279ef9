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
            let registry = try InstalledGrants.registry(
                parts: TesseraServer.grantParts(
                    issuer: TokenIssuer(store: InMemoryTokenStore()), users: InMemoryUserDirectory(),
                    ledger: PostgresTokenLedger(client: database.client), passwords: TestPasswordHasher(),
                    loginThrottle: LoginThrottle(), client: database.client,
                    directory: PostgresClientDirectory(client: database.client),
                    issuerURL: IssuerURL(base: "http://localhost")))
            #expect(registry.grantTypes == InstalledGrants.grantTypes)
            #expect(registry.grantTypes == ["authorization_code", "client_credentials", "password", "refresh_token"])
            #expect(registry.endpoints.map(\.path) == ["authorize", "consents"])
        }
    }

    @Test("a grant that needs a part the server does not provide is refused when installed, naming the part")
    func missingPart() throws {
        var registry = GrantRegistry()
        var parts = ServerParts()
        parts.provide(TokenIssuer(store: InMemoryTokenStore()))
        try registry.install([StampGrant.self], from: parts)
        #expect(registry.grantTypes == [StampGrant.grantType])
        var without = GrantRegistry()
        #expect {
            try without.install([StampGrant.self], from: ServerParts())
        } throws: { error in
            "\(error)".contains("TokenIssuer")
        }
    }
}

/// A grant of this test target, installed from the server's parts like the shipped ones.
struct StampGrant: InstallableGrant {
    static let grantType: GrantType = "urn:example:stamp"
    static let parameters: Set<String> = []
    let issuer: TokenIssuer

    init(parts: ServerParts) throws {
        issuer = try parts.require()
    }

    func parse(_ form: TokenRequestParameters) throws(OAuthError) {}

    func handle(_ request: Void, context: GrantContext) async throws -> TokenResponse {
        throw OAuthError.invalidRequest("not for issuing")
    }
}
