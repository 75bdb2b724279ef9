import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import ServiceLifecycle
import TesseraCore
import TesseraHTTP
import TesseraPostgres
import TesseraServer
import TesseraTesting
import Testing

/// The token service as `tessera serve` composes it (`TokenServer`: group commit, batched lookups, the change feed,
/// the database's clock, the client throttle, readiness), with its services running for the length of a test.
struct TokenService {
    static let issuer = IssuerURL(base: "https://auth.example")
    let cache: CachedClientDirectory
    let application: Application<RouterResponder<TesseraRequestContext>>

    /// Runs `body` with the service on `client`, its services started first and stopped gracefully after (pending
    /// token batches are written). `now` replaces the database's clock with one the test moves; `adjust` changes
    /// the settings `serve` would take from its options.
    static func with<Result: Sendable>(
        client: any DatabaseClient, sealer: ServerKey? = nil, now: (@Sendable () -> Date)? = nil,
        adjust: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (TokenService) async throws -> Result
    ) async throws -> Result {
        var configuration = ServerConfiguration(
            host: "127.0.0.1", port: 0, defaultTenant: nil,
            database: try DatabaseURL("postgres://tessera@127.0.0.1/tessera"), databaseConnections: 4)
        configuration.publicURL = issuer.base
        configuration.serverKey = sealer
        adjust(&configuration)
        let server = try TokenServer(
            client: client, configuration: configuration, passwords: TestPasswordHasher(), logger: TestDatabase.logger,
            now: now)
        // TestDatabase's logger: the access log would print a line for every request of every test.
        let service = TokenService(
            cache: server.directory, application: Application(router: server.router, logger: TestDatabase.logger))
        return try await runningServices(server.services) {
            // As `serve` does before its listeners open: one round trip to the database (reading its clock), so that
            // the first request of a test finds a connection in the pool instead of racing the services' start for
            // one on a loaded machine. Best effort, as in `serve`.
            try? await server.clock.synchronize()
            return try await body(service)
        }
    }
}

extension TokenService {
    /// POSTs `form` to `/t/acme.example/<endpoint>` as `key`:`secret` (HTTP Basic), expects 200, and returns the
    /// JSON object answered.
    func post(_ endpoint: String, key: String, secret: String, form: String) async throws -> [String: Any] {
        let basic = Data("\(key):\(secret)".utf8).base64EncodedString()
        return try await application.test(.router) { http in
            try await http.execute(
                uri: "/t/acme.example/\(endpoint)", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .authorization: "Basic \(basic)"],
                body: ByteBuffer(string: form)
            ) { response in
                #expect(response.status == .ok, "\(endpoint): \(String(buffer: response.body))")
                return (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)))
                    as? [String: Any] ?? [:]
            }
        }
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
