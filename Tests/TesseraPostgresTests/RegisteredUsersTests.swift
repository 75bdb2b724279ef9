import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TesseraCore
import TesseraPostgres
import TesseraTesting
import Testing

/// Issue 3's scripted history: three users, two applications, repeated logins, client-credentials tokens,
/// failed logins, a disabled user, and the same username in two tenants; then the exact counts.
@Suite("Registered users", .timeLimit(.minutes(3)))
struct RegisteredUsersTests {
    static let passwords = ["alice": "correct horse", "bob": "battery", "carol": "staple", "dave": "disabled"]

    @Test("only successful password-grant tokens register a user, once per application, counted per token")
    func scriptedHistory() async throws {
        try await TestDatabase.with { database in
            let admin = database.administration
            let users = UserAdministration(client: database.client, logger: database.logger)
            _ = try await admin.createTenant(domain: "acme.example")
            _ = try await admin.createTenant(domain: "globex.example")
            let supported: Set<GrantType> = ["password", "client_credentials"]
            let (mobile, mobileSecret) = try await admin.createApplication(
                tenant: "acme.example",
                settings: ApplicationSettings(name: "mobile", grantTypes: supported, supportedGrantTypes: supported))
            let (web, webSecret) = try await admin.createApplication(
                tenant: "acme.example",
                settings: ApplicationSettings(name: "web", grantTypes: ["password"], supportedGrantTypes: supported))
            let (portal, portalSecret) = try await admin.createApplication(
                tenant: "globex.example",
                settings: ApplicationSettings(name: "portal", grantTypes: ["password"], supportedGrantTypes: supported))
            for (name, password) in Self.passwords {
                _ = try await users.createUser(
                    tenant: "acme.example", username: name, passwordHash: TestPasswordHasher.hash(password, cost: 12))
            }
            _ = try await users.createUser(
                tenant: "globex.example", username: "Alice", passwordHash: TestPasswordHasher.hash("other", cost: 12))
            try await users.setUser(tenant: "acme.example", username: "DAVE", enabled: false)

            try await TokenService.with(client: database.client) { service in
                func signIn(
                    _ tenant: String, _ app: ApplicationRecord, _ secret: String, _ user: String, _ password: String
                )
                    async throws -> Int
                {
                    try await service.application.test(.router) { client in
                        try await client.requestToken(
                            tenant: tenant, key: app.consumerKey, secret: secret,
                            form:
                                "grant_type=password&username=\(user)&password=\(password.replacingOccurrences(of: " ", with: "+"))"
                        )
                    }.status.code
                }
                for _ in 0..<3 {
                    #expect(try await signIn("acme.example", mobile, mobileSecret, "alice", "correct horse") == 200)
                }
                #expect(try await signIn("acme.example", mobile, mobileSecret, "BOB", "battery") == 200)
                #expect(try await signIn("acme.example", web, webSecret, "alice", "correct horse") == 200)
                #expect(try await signIn("acme.example", mobile, mobileSecret, "carol", "wrong") == 400)
                #expect(try await signIn("acme.example", mobile, mobileSecret, "dave", "disabled") == 400)
                #expect(try await signIn("globex.example", portal, portalSecret, "alice", "other") == 200)
                #expect(try await signIn("globex.example", portal, portalSecret, "alice", "correct horse") == 400)
                for _ in 0..<2 {
                    let status = try await service.application.test(.router) { client in
                        try await client.requestToken(
                            tenant: "acme.example", key: mobile.consumerKey, secret: mobileSecret)
                    }.status
                    #expect(status == .ok)
                }

                // The CLI's numbers.
                let statistics = RegisteredUserStatistics(client: database.client, logger: database.logger)
                let acme = try await statistics.perApplication(tenant: "acme.example")
                #expect(acme.map(\.application) == ["mobile", "web"])
                #expect(acme.map(\.registeredUsers) == [2, 1])
                #expect(acme.map(\.activeUsers30Days) == [2, 1])
                #expect(try await statistics.perApplication(tenant: "globex.example").map(\.registeredUsers) == [1])
                let tomorrow = Date().addingTimeInterval(86400)
                #expect(
                    try await statistics.perApplication(tenant: "acme.example", since: tomorrow).map(\.registeredUsers)
                        == [
                            0, 0,
                        ])

                // The SQL views analysts use give the same numbers.
                let perApplication = try await database.client.rows(
                    """
                    SELECT application, registered_users, active_30_days FROM registered_users_per_application
                    WHERE tenant = 'acme.example' ORDER BY application
                    """, as: (String, Int64, Int64).self)
                #expect(perApplication.map(\.1) == [2, 1] && perApplication.map(\.2) == [2, 1])
                let perTenant = try await database.client.rows(
                    "SELECT tenant, count(DISTINCT username) FROM registered_user_facts GROUP BY tenant ORDER BY tenant",
                    as: (String, Int64).self)
                #expect(perTenant.map(\.1) == [2, 1])
                let counts = try await database.client.rows(
                    "SELECT application, username, token_count FROM registered_user_facts ORDER BY 1, 2",
                    as: (String, String, Int64).self)
                #expect(
                    counts.map { "\($0.0)/\($0.1)/\($0.2)" } == [
                        "mobile/alice/3", "mobile/bob/1", "portal/Alice/1", "web/alice/1",
                    ])

                // No password anywhere in the database.
                let dump = try await database.client.rows(
                    """
                    SELECT coalesce((SELECT string_agg(u::text, '|') FROM users u), '')
                        || coalesce((SELECT string_agg(t::text, '|') FROM access_tokens t), '')
                        || coalesce((SELECT string_agg(r::text, '|') FROM registered_users r), '')
                    """, as: String.self)
                for password in Self.passwords.values { #expect(dump.first?.contains(password) == false) }
            }
        }
    }

    @Test("a refresh token exchange continues a sign-in: it registers no one and counts no sign-in")
    func refreshRegistersNoOne() async throws {
        try await TestDatabase.with { database in
            let admin = database.administration
            _ = try await admin.createTenant(domain: "acme.example")
            let grants: Set<GrantType> = ["password", "refresh_token"]
            let (app, secret) = try await admin.createApplication(
                tenant: "acme.example",
                settings: ApplicationSettings(name: "mobile", grantTypes: grants, supportedGrantTypes: grants))
            _ = try await UserAdministration(client: database.client, logger: database.logger).createUser(
                tenant: "acme.example", username: "alice", passwordHash: TestPasswordHasher.hash("pw", cost: 12))
            try await TokenService.with(client: database.client) { service in
                try await service.application.test(.router) { client in
                    let signIn = try await client.requestToken(
                        key: app.consumerKey, secret: secret, form: "grant_type=password&username=alice&password=pw")
                    var refresh = try #require(signIn.body.refresh_token)
                    for _ in 0..<2 {
                        let exchanged = try await client.requestToken(
                            key: app.consumerKey, secret: secret,
                            form: "grant_type=refresh_token&refresh_token=\(refresh)")
                        #expect(exchanged.status == .ok)
                        refresh = try #require(exchanged.body.refresh_token)
                    }
                }
                let counts = try await database.client.rows(
                    "SELECT token_count FROM registered_users", as: Int64.self)
                #expect(counts == [1], "one sign-in, two exchanges")
                #expect(try await database.count("access_tokens") == 3)
            }
        }
    }
}
