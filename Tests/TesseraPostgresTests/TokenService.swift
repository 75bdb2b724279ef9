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
    let cache: CachedClientDirectory
    let application: Application<RouterResponder<BasicRequestContext>>

    init(directoryClient: PostgresClient, store: any TokenStore) {
        cache = CachedClientDirectory(source: PostgresClientDirectory(client: directoryClient))
        let issuer = TokenIssuer(store: store)
        let dependencies = InstalledGrants.Dependencies(
            users: PostgresUserDirectory(client: directoryClient), passwords: TestPasswordHasher(),
            loginThrottle: LoginThrottle())
        let endpoint = TokenEndpoint(
            directory: cache, grants: InstalledGrants.registry(issuer: issuer, dependencies: dependencies))
        application = Application(router: buildRouter(tokenRoutes: TokenRoutes(endpoint: endpoint, defaultTenant: nil)))
    }

    init(directoryClient: PostgresClient, storeClient: PostgresClient) {
        self.init(directoryClient: directoryClient, store: PostgresTokenStore(client: storeClient))
    }

    init(client: PostgresClient) {
        self.init(directoryClient: client, storeClient: client)
    }
}

/// A token endpoint response body, success or error.
struct TokenBody: Decodable {
    let access_token: String?
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
