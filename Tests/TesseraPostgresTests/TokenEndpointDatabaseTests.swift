import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import TesseraCore
import TesseraPostgres
import Testing

@Suite("Token endpoint over PostgreSQL", .timeLimit(.minutes(3)))
struct TokenEndpointDatabaseTests {
    @Test("a client credentials request is answered 200 and its token's hash is stored with the request's facts")
    func issuesAndStores() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register(scopes: "default read write")
            let key = registered.application.consumerKey
            try await TokenService.with(client: database.client) { service in
                let started = Date()
                let (status, headers, body) = try await service.application.test(.router) { client in
                    try await client.requestToken(
                        key: key, secret: registered.secret,
                        form: "grant_type=client_credentials&scope=write%20read&validity_period=120")
                }
                #expect(status == .ok)
                #expect(headers[.cacheControl] == "no-store")
                #expect(body.token_type == "Bearer")
                #expect(body.scope == "read write")
                #expect(body.expires_in == 120)
                let token = try #require(body.access_token)
                #expect(token.hasPrefix("tsr_at_"))

                let hash = ByteBuffer(bytes: TokenHash(of: token).bytes)
                let rows = try await database.client.rows(
                    """
                    SELECT t.tenant_id = n.tenant_id, t.application_id = a.application_id, t.subject, t.scopes,
                        t.grant_type, t.issued_at, t.expires_at
                    FROM access_tokens t
                    JOIN tenants n ON n.domain = 'acme.example'
                    JOIN applications a ON a.tenant_id = n.tenant_id AND a.consumer_key = \(key)
                    WHERE t.token_hash = \(hash)
                    """, as: (Bool, Bool, String, [String], String, Date, Date).self)
                let row = try #require(rows.first, "the token's hash is in access_tokens")
                #expect(row.0, "the token belongs to the request's tenant")
                #expect(row.1, "the token belongs to the authenticated application")
                #expect(row.2 == key, "a client credentials token speaks for the client")
                #expect(row.3 == ["read", "write"])
                #expect(row.4 == "client_credentials")
                #expect(abs(row.5.timeIntervalSince(started)) < 5)
                #expect(abs(row.6.timeIntervalSince(row.5) - 120) < 0.001)
                #expect(try await database.count("access_tokens") == 1)
            }
        }
    }

    @Test("without scope or validity_period the token has the application's defaults")
    func defaults() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register()
            try await TokenService.with(client: database.client) { service in
                let (status, _, body) = try await service.application.test(.router) { client in
                    try await client.requestToken(key: registered.application.consumerKey, secret: registered.secret)
                }
                #expect(status == .ok)
                #expect(body.scope == ApplicationSettings.defaultScope)
                #expect(body.expires_in == ApplicationSettings.defaultTokenValidity)
                let lifetimes = try await database.client.rows(
                    "SELECT extract(epoch FROM expires_at - issued_at)::float8 FROM access_tokens", as: Double.self)
                #expect(lifetimes == [Double(ApplicationSettings.defaultTokenValidity)])
            }
        }
    }

    @Test("a wrong secret is 401 invalid_client and stores nothing")
    func wrongSecret() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register()
            try await TokenService.with(client: database.client) { service in
                let (status, headers, body) = try await service.application.test(.router) { client in
                    try await client.requestToken(
                        key: registered.application.consumerKey, secret: registered.secret + "x")
                }
                #expect(status == .unauthorized)
                #expect(body.error == "invalid_client")
                #expect(headers[.wwwAuthenticate] == "Basic realm=\"acme.example\"")
                #expect(try await database.count("access_tokens") == 0)
            }
        }
    }

    @Test("an application's key is refused under another tenant's path")
    func otherTenantPath() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register(domain: "acme.example")
            _ = try await database.administration.createTenant(domain: "globex.example")
            try await TokenService.with(client: database.client) { service in
                let (status, _, body) = try await service.application.test(.router) { client in
                    try await client.requestToken(
                        tenant: "globex.example", key: registered.application.consumerKey, secret: registered.secret)
                }
                #expect(status == .unauthorized)
                #expect(body.error == "invalid_client")
                #expect(try await database.count("access_tokens") == 0)
            }
        }
    }

    @Test("an application the operator disables is refused within a second, cache and feed running")
    func disabledWhileCached() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register()
            let key = registered.application.consumerKey
            try await TokenService.with(client: database.client) { service in
                let operatorClient = database.makeClient()
                try await operatorClient.running {
                    do {
                        try await service.application.test(.router) { client in
                            #expect(try await client.requestToken(key: key, secret: registered.secret).status == .ok)
                            try await DirectoryAdministration(client: operatorClient, logger: database.logger)
                                .setApplication(tenant: "acme.example", consumerKey: key, enabled: false)
                            let refused = try await eventually {
                                try await client.requestToken(key: key, secret: registered.secret).status
                                    == .unauthorized
                            }
                            #expect(refused)
                        }
                    }
                }
            }
        }
    }
}
