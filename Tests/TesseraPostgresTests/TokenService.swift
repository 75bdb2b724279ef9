import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import TesseraCore
import TesseraHTTP
import TesseraPostgres
import TesseraServer
import TesseraTesting
import Testing

/// The token service as `tessera serve` wires it: the real router, the cached PostgreSQL directory, the
/// PostgreSQL token store and the installed grants. The two clients may differ, to fail one side only.
struct TokenService {
    static let issuer = IssuerURL(base: "https://auth.example")
    let cache: CachedClientDirectory
    let application: Application<RouterResponder<TesseraRequestContext>>

    init(
        directoryClient: PostgresClient, store: any TokenStore, sealer: TokenSealer? = nil,
        now: @escaping @Sendable () -> Date = Date.init, health: HealthRoutes? = nil,
        loginThrottle: LoginThrottle = LoginThrottle()
    ) {
        cache = CachedClientDirectory(source: PostgresClientDirectory(client: directoryClient))
        let reusable = sealer.map {
            ReusableTokens(store: PostgresTokenReuseStore(client: directoryClient), sealer: $0)
        }
        let issuer = TokenIssuer(store: store, reusable: reusable, now: now)
        let ledger = PostgresTokenLedger(client: directoryClient)
        let grants: GrantRegistry
        do {
            grants = try InstalledGrants.registry(
                parts: TesseraServer.grantParts(
                    issuer: issuer, users: PostgresUserDirectory(client: directoryClient), ledger: ledger,
                    passwords: TestPasswordHasher(), loginThrottle: loginThrottle))
        } catch {
            // The server's parts hold what every installed grant needs (InstalledGrantsTests).
            preconditionFailure("\(error)")
        }
        let routes = TokenRoutes(
            endpoint: TokenEndpoint(directory: cache, grants: grants, now: now),
            introspection: IntrospectionEndpoint(directory: cache, ledger: ledger, issuer: Self.issuer, now: now),
            revocation: RevocationEndpoint(directory: cache, ledger: ledger, now: now),
            defaultTenant: nil)
        let discovery = DiscoveryRoutes(directory: cache, issuer: Self.issuer, grantTypes: grants.grantTypes)
        // TestDatabase's logger: the access log would print a line for every request of every test.
        application = Application(
            router: buildRouter(tokenRoutes: routes, discovery: discovery, health: health), logger: TestDatabase.logger)
    }

    init(directoryClient: PostgresClient, storeClient: PostgresClient) {
        self.init(directoryClient: directoryClient, store: PostgresTokenStore(client: storeClient))
    }

    init(
        client: PostgresClient, sealer: TokenSealer? = nil, loginThrottle: LoginThrottle = LoginThrottle(),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.init(
            directoryClient: client, store: PostgresTokenStore(client: client), sealer: sealer, now: now,
            loginThrottle: loginThrottle)
    }

    /// The service with `/health/ready` checking `client`'s database, as `tessera serve` does.
    init(
        checkingHealthOf client: PostgresClient,
        stalls: [(reason: String, isStalled: DatabaseReadiness.StallCheck)] = []
    ) throws {
        let readiness = DatabaseReadiness(
            client: client, migrations: try Migration.embedded(), logger: TestDatabase.logger, stalls: stalls)
        self.init(
            directoryClient: client, store: PostgresTokenStore(client: client),
            health: HealthRoutes(readiness: readiness.check))
    }
}

/// A token endpoint response body, success or error.
struct TokenBody: Decodable {
    let access_token: String?
    let refresh_token: String?
    let token_type: String?
    let expires_in: Int?
    let scope: String?
    let error: String?
    let error_description: String?
}

extension TestClientProtocol {
    /// A client credentials request with HTTP Basic authentication.
    func requestToken(
        tenant: String = "acme.example", key: String, secret: String, form: String = "grant_type=client_credentials"
    ) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, body: TokenBody) {
        let basic = Data("\(key):\(secret)".utf8).base64EncodedString()
        return try await execute(
            uri: "/t/\(tenant)/token", method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded", .authorization: "Basic \(basic)"],
            body: ByteBuffer(string: form)
        ) { response in
            let body = try JSONDecoder().decode(TokenBody.self, from: Data(response.body.readableBytesView))
            return (response.status, response.headers, body)
        }
    }
}
