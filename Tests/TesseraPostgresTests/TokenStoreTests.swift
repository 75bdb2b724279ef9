import Foundation
import NIOCore
import PostgresNIO
import TesseraCore
import TesseraPostgres
import Testing

@Suite("PostgreSQL directory and token store", .timeLimit(.minutes(3)))
struct TokenStoreTests {
    @Test("the directory returns the tenant and application that administration created")
    func directoryLookups() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register(scopes: "default read")
            let directory = PostgresClientDirectory(client: database.client)

            let tenant = try #require(try await directory.tenant(domain: "acme.example"))
            #expect(tenant.domain == "acme.example")
            #expect(tenant.enabled)
            let application = try #require(
                try await directory.application(tenantID: tenant.id, consumerKey: registered.application.consumerKey))
            #expect(application.tenantID == tenant.id)
            #expect(application.consumerKey == registered.application.consumerKey)
            #expect(application.name == "billing")
            #expect(application.grantTypes == ["client_credentials"])
            #expect(application.allowedScopes == ScopeSet(["default", "read"]))
            #expect(application.defaultScopes == ScopeSet(["default"]))
            #expect(application.defaultTokenValidity == ApplicationSettings.defaultTokenValidity)
            #expect(application.maxTokenValidity == ApplicationSettings.defaultMaxTokenValidity)
            #expect(application.enabled)
            #expect(application.secretHash.verifies(registered.secret))
        }
    }

    @Test("unknown tenants and keys, and keys of another tenant, are absent")
    func directoryAbsences() async throws {
        try await TestDatabase.with { database in
            let acme = try await database.register(domain: "acme.example")
            _ = try await database.administration.createTenant(domain: "globex.example")
            let directory = PostgresClientDirectory(client: database.client)
            let globex = try #require(try await directory.tenant(domain: "globex.example"))

            #expect(try await directory.tenant(domain: "nobody.example") == nil)
            #expect(try await directory.application(tenantID: globex.id, consumerKey: "nobody") == nil)
            let acmeKey = acme.application.consumerKey
            #expect(try await directory.application(tenantID: globex.id, consumerKey: acmeKey) == nil)
        }
    }

    @Test("a stored token is one row with the SHA-256 of the token and every column of the issued token")
    func storesRow() async throws {
        try await TestDatabase.with { database in
            let token = TokenReference.generate(.access, expiresAt: Date(timeIntervalSince1970: 1_750_003_600))
            let issuedAt = Date(timeIntervalSince1970: 1_750_000_000.25)
            let issued = IssuedToken(
                hash: TokenHash(of: token), tenantID: 7, applicationID: 11,
                subject: "pBzuIZhGphfQmdcUX0lneFiiuxwa",
                scopes: ScopeSet(["read", "default"]), grantType: "client_credentials", issuedAt: issuedAt,
                expiresAt: issuedAt.addingTimeInterval(3600))
            try await database.store(issued)

            let rows = try await database.client.rows(
                """
                SELECT tenant_id, token_hash, application_id, subject, scopes, grant_type, issued_at, expires_at,
                    token_hash = sha256(convert_to(\(token), 'UTF8'))
                FROM access_tokens
                """, as: (Int64, ByteBuffer, Int64, String, [String], String, Date, Date, Bool).self)
            #expect(rows.count == 1)
            let row = try #require(rows.first)
            #expect(row.0 == 7)
            #expect(Array(row.1.readableBytesView) == issued.hash.bytes)
            #expect(row.1.readableBytes == 32)
            #expect(row.2 == 11)
            #expect(row.3 == "pBzuIZhGphfQmdcUX0lneFiiuxwa")
            #expect(row.4 == ["default", "read"])
            #expect(row.5 == "client_credentials")
            #expect(abs(row.6.timeIntervalSince(issuedAt)) < 0.001)
            #expect(abs(row.7.timeIntervalSince(issuedAt.addingTimeInterval(3600))) < 0.001)
            #expect(row.8, "the stored hash is SHA-256 of the token's UTF-8 bytes")
        }
    }

    @Test("a full dump of every table holds neither an issued token nor a consumer secret")
    func nothingSecretAtRest() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register()
            let rotated = try await database.administration.rotateSecret(
                tenant: "acme.example", consumerKey: registered.application.consumerKey
            ).secret
            let application = try #require(
                try await PostgresClientDirectory(client: database.client).application(
                    tenantID: DirectoryAdministrationTests.tenantID(database),
                    consumerKey: registered.application.consumerKey))
            let response = try await database.withTokenStore { store in
                try await TokenIssuer(store: store).issue(
                    for: application, in: Tenant(id: application.tenantID, domain: "store.test", enabled: true),
                    subject: .client(consumerKey: application.consumerKey),
                    scopes: application.defaultScopes, lifetime: 60, grantType: "client_credentials")
            }
            let token = response.accessToken
            #expect(try await database.count("access_tokens") == 1)

            let dump = try await Self.dump(database)
            #expect(dump.count >= 4, "tenants, applications, access_tokens and the migration record")
            for secret in [token, String(token.drop(while: { $0 != "." }).dropFirst()), registered.secret, rotated] {
                let hex = secret.utf8.map { String(format: "%02x", $0) }.joined()
                for line in dump {
                    #expect(!line.contains(secret), "a secret is stored in clear")
                    #expect(!line.lowercased().contains(hex), "a secret is stored as bytes")
                }
            }
        }
    }

    /// Every row of every table in the public schema, as PostgreSQL prints it (bytea in hex).
    static func dump(_ database: TestDatabase) async throws -> [String] {
        let tables = try await database.client.rows(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'", as: String.self)
        var lines: [String] = []
        for table in tables {
            lines += try await database.client.rows(
                PostgresQuery(unsafeSQL: "SELECT t::text FROM \"\(table)\" t"), as: String.self)
        }
        return lines
    }
}
