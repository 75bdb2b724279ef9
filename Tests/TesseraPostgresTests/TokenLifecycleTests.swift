import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import TesseraCore
import TesseraPostgres
import TesseraTesting
import Testing

/// Issue 4 through the real router on PostgreSQL: refresh tokens with rotation and replay detection,
/// introspection (RFC 7662), revocation (RFC 7009), administrators' revocation, and discovery (RFC 8414).
@Suite("Token lifecycle", .timeLimit(.minutes(3)))
struct TokenLifecycleTests {
    /// A tenant with a password+refresh application "mobile", a client-credentials application "backend", a
    /// resource server "api" that may introspect any token, and user alice.
    struct World {
        let database: TestDatabase
        let service: TokenService
        let mobile: Client
        let backend: Client
        let api: Client

        struct Client {
            let key: String
            let secret: String
        }

        /// Runs `body` in a world of three applications and a user, the service running.
        /// - Parameter now: the service's clock, which a test moves instead of sleeping.
        static func with(
            _ database: TestDatabase, now: (@Sendable () -> Date)? = nil, _ body: (World) async throws -> Void
        ) async throws {
            let admin = database.administration
            _ = try await admin.createTenant(domain: "acme.example")
            let supported: Set<GrantType> = ["password", "client_credentials", "refresh_token"]
            func app(_ name: String, _ grants: Set<GrantType>, introspectAny: Bool = false) async throws -> Client {
                let (record, secret) = try await admin.createApplication(
                    tenant: "acme.example",
                    settings: ApplicationSettings(
                        name: name, grantTypes: grants, allowedScopes: "default read write",
                        introspectAny: introspectAny, supportedGrantTypes: supported))
                return Client(key: record.consumerKey, secret: secret)
            }
            let mobile = try await app("mobile", ["password", "refresh_token"])
            let backend = try await app("backend", ["client_credentials"])
            let api = try await app("api", ["client_credentials"], introspectAny: true)
            _ = try await UserAdministration(client: database.client, logger: database.logger).createUser(
                tenant: "acme.example", username: "alice", passwordHash: TestPasswordHasher.hash("pw", cost: 12))
            try await TokenService.with(client: database.client, now: now) { service in
                try await body(
                    World(database: database, service: service, mobile: mobile, backend: backend, api: api))
            }
        }

        /// POSTs `form` to `/t/acme.example/<endpoint>` as `client`, returning status and JSON body.
        func post(_ endpoint: String, _ client: Client, _ form: String, tenant: String = "acme.example")
            async throws -> (status: Int, body: [String: Any], raw: String)
        {
            let basic = Data("\(client.key):\(client.secret)".utf8).base64EncodedString()
            return try await service.application.test(.router) { http in
                try await http.execute(
                    uri: "/t/\(tenant)/\(endpoint)", method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded", .authorization: "Basic \(basic)"],
                    body: ByteBuffer(string: form)
                ) { response in
                    let raw = String(buffer: response.body)
                    let body = (try? JSONSerialization.jsonObject(with: Data(raw.utf8))) as? [String: Any] ?? [:]
                    return (Int(response.status.code), body, raw)
                }
            }
        }

        func signIn(scope: String = "read write") async throws -> (access: String, refresh: String) {
            let (status, body, raw) = try await post(
                "token", mobile, "grant_type=password&username=alice&password=pw&scope=\(scope)")
            #expect(status == 200, "\(raw)")
            return (try #require(body["access_token"] as? String), try #require(body["refresh_token"] as? String))
        }

        func refresh(_ token: String, scope: String? = nil, as client: Client? = nil) async throws
            -> (status: Int, body: [String: Any])
        {
            let form = "grant_type=refresh_token&refresh_token=\(token)" + (scope.map { "&scope=\($0)" } ?? "")
            let (status, body, _) = try await post("token", client ?? mobile, form)
            return (status, body)
        }

        func isActive(_ token: String, as client: Client? = nil) async throws -> Bool {
            let (status, body, raw) = try await post("introspect", client ?? api, "token=\(token)")
            #expect(status == 200)
            if body["active"] as? Bool == false { #expect(raw == #"{"active":false}"#) }
            return try #require(body["active"] as? Bool)
        }

        func clientToken(_ client: Client) async throws -> String {
            let (status, body, _) = try await post("token", client, "grant_type=client_credentials")
            #expect(status == 200)
            return try #require(body["access_token"] as? String)
        }
    }

    @Test("the password grant returns a refresh token when the application may refresh; client credentials never")
    func refreshTokenOnlyWhereAllowed() async throws {
        try await TestDatabase.with { database in
            try await World.with(database) { world in
                let (access, refresh) = try await world.signIn()
                #expect(access.hasPrefix("tsr_at_") && refresh.hasPrefix("tsr_rt_"))
                let (_, body, _) = try await world.post("token", world.backend, "grant_type=client_credentials")
                #expect(body["access_token"] != nil && body["refresh_token"] == nil)
                #expect(try await database.count("refresh_tokens") == 1)
                #expect(try await database.count("token_families") == 1)
                let stored = try await database.client.rows(
                    "SELECT count(*) FROM refresh_tokens WHERE token_hash = sha256(convert_to(\(refresh), 'UTF8'))",
                    as: Int64.self)
                #expect(stored == [1], "the refresh token is stored as its SHA-256")
            }
        }
    }

    @Test("a refresh rotates the refresh token; replaying a used one revokes the whole family")
    func rotationAndReplay() async throws {
        try await TestDatabase.with { database in
            try await World.with(database) { world in
                let (firstAccess, firstRefresh) = try await world.signIn()
                let rotated = try await world.refresh(firstRefresh)
                #expect(rotated.status == 200)
                #expect(rotated.body["scope"] as? String == "read write")
                let secondAccess = try #require(rotated.body["access_token"] as? String)
                let secondRefresh = try #require(rotated.body["refresh_token"] as? String)
                #expect(secondRefresh != firstRefresh)
                #expect(try await world.isActive(firstAccess))
                #expect(try await world.isActive(secondAccess))
                #expect(try await world.isActive(secondRefresh))
                #expect(try await !world.isActive(firstRefresh), "a used refresh token is inactive")

                // The replay: the used token again. Refused, and the family dies with it.
                let replay = try await world.refresh(firstRefresh)
                #expect(replay.status == 400)
                #expect(replay.body["error"] as? String == "invalid_grant")
                #expect(try await world.refresh(secondRefresh).status == 400)
                #expect(try await !world.isActive(firstAccess))
                #expect(try await !world.isActive(secondAccess))

                // A new sign-in starts a new family, untouched by the old one's revocation.
                let (freshAccess, freshRefresh) = try await world.signIn()
                #expect(try await world.isActive(freshAccess))
                #expect(try await world.refresh(freshRefresh).status == 200)
            }
        }
    }

    @Test("a refresh may narrow the scope, never widen it; the successor keeps the original scope")
    func scopeNarrowing() async throws {
        try await TestDatabase.with { database in
            try await World.with(database) { world in
                let (_, refresh) = try await world.signIn(scope: "read")
                let wider = try await world.refresh(refresh, scope: "read+write")
                #expect(wider.status == 400)
                #expect(wider.body["error"] as? String == "invalid_scope")
                let narrowed = try await world.refresh(refresh, scope: "read")
                #expect(narrowed.status == 200, "a refused scope does not use the token up")
                #expect(narrowed.body["scope"] as? String == "read")
            }
        }
    }

    @Test("another application's refresh token is invalid_grant and stays usable by its owner")
    func otherApplicationsRefreshToken() async throws {
        try await TestDatabase.with { database in
            try await World.with(database) { world in
                let (_, refresh) = try await world.signIn()
                let supported: Set<GrantType> = ["password", "refresh_token"]
                let (other, secret) = try await database.administration.createApplication(
                    tenant: "acme.example",
                    settings: ApplicationSettings(name: "other", grantTypes: supported, supportedGrantTypes: supported))
                let stranger = World.Client(key: other.consumerKey, secret: secret)
                #expect(try await world.refresh(refresh, as: stranger).body["error"] as? String == "invalid_grant")
                #expect(try await world.refresh("tsr_rt_1.nonsense", as: stranger).status == 400)
                #expect(try await world.refresh(refresh).status == 200)
            }
        }
    }

    @Test("introspection reports an active token's members, per RFC 7662")
    func introspectionMembers() async throws {
        try await TestDatabase.with { database in
            try await World.with(database) { world in
                let (access, _) = try await world.signIn(scope: "read")
                let (status, body, _) = try await world.post(
                    "introspect", world.mobile, "token=\(access)&token_type_hint=access_token")
                #expect(status == 200)
                #expect(body["active"] as? Bool == true)
                #expect(body["scope"] as? String == "read")
                #expect(body["client_id"] as? String == world.mobile.key)
                #expect(body["username"] as? String == "alice")
                #expect(body["sub"] as? String == "alice")
                #expect(body["token_type"] as? String == "Bearer")
                #expect(body["iss"] as? String == "https://auth.example/t/acme.example")
                let exp = try #require(body["exp"] as? Int)
                let iat = try #require(body["iat"] as? Int)
                #expect(exp - iat == 3600)
                #expect(abs(Double(iat) - Date().timeIntervalSince1970) < 60)

                let cc = try await world.clientToken(world.backend)
                let (_, ccBody, _) = try await world.post("introspect", world.backend, "token=\(cc)")
                #expect(ccBody["active"] as? Bool == true)
                #expect(ccBody["username"] == nil, "client credentials tokens have no username")
                #expect(ccBody["sub"] as? String == world.backend.key)
            }
        }
    }

    @Test("inactive is exactly {\"active\":false}: unknown, malformed, other application's, other tenant's tokens")
    func introspectionInactive() async throws {
        try await TestDatabase.with { database in
            try await World.with(database) { world in
                let access = try await world.clientToken(world.backend)
                #expect(try await world.isActive(access, as: world.backend))
                #expect(try await world.isActive(access, as: world.api), "a resource server introspects any token")
                #expect(try await !world.isActive(access, as: world.mobile), "another application's token")
                let unknown = TokenReference.generate(.access, expiresAt: Date().addingTimeInterval(60))
                #expect(try await !world.isActive(unknown))
                #expect(try await !world.isActive("not-a-token"))
                // A changed day in the token text finds nothing: the hash covers the whole token.
                let shifted = access.replacingOccurrences(of: "tsr_at_", with: "tsr_at_1")
                #expect(try await !world.isActive(shifted))

                // The same token presented at another tenant by that tenant's resource server.
                _ = try await database.administration.createTenant(domain: "globex.example")
                let (globexAPI, secret) = try await database.administration.createApplication(
                    tenant: "globex.example",
                    settings: ApplicationSettings(
                        name: "api", introspectAny: true, supportedGrantTypes: ["client_credentials"]))
                let (_, body, raw) = try await world.post(
                    "introspect", World.Client(key: globexAPI.consumerKey, secret: secret), "token=\(access)",
                    tenant: "globex.example")
                #expect(body["active"] as? Bool == false, "\(raw)")
            }
        }
    }

    @Test("an expired token is inactive")
    func introspectionExpired() async throws {
        try await TestDatabase.with { database in
            let clock = TestClock()
            try await World.with(database, now: { clock.now }) { world in
                let (status, body, _) = try await world.post(
                    "token", world.backend, "grant_type=client_credentials&validity_period=5")
                #expect(status == 200)
                let token = try #require(body["access_token"] as? String)
                clock.advance(by: 4.9)
                #expect(try await world.isActive(token))
                clock.advance(by: 0.2)
                #expect(try await !world.isActive(token))
            }
        }
    }

    @Test("introspection and revocation need client authentication and the token parameter")
    func protectedEndpoints() async throws {
        try await TestDatabase.with { database in
            try await World.with(database) { world in
                for endpoint in ["introspect", "revoke"] {
                    let wrong = World.Client(key: world.backend.key, secret: "wrong")
                    let (status, body, _) = try await world.post(endpoint, wrong, "token=x")
                    #expect(status == 401)
                    #expect(body["error"] as? String == "invalid_client")
                    let missing = try await world.post(endpoint, world.backend, "token_type_hint=access_token")
                    #expect(missing.status == 400)
                    #expect(missing.body["error"] as? String == "invalid_request")
                    let long = try await world.post(
                        endpoint, world.backend, "token=" + String(repeating: "a", count: 600))
                    #expect(long.status == 400)
                    let unknownTenant = try await world.post(endpoint, world.backend, "token=x", tenant: "nope.example")
                    #expect(unknownTenant.status == 404)
                    let get = try await world.service.application.test(.router) { http in
                        try await http.execute(uri: "/t/acme.example/\(endpoint)", method: .get) { $0.status.code }
                    }
                    #expect(get == 405)
                }
            }
        }
    }

    @Test("revocation: own token inactive at once; unknown and other applications' tokens 200 and untouched")
    func revocation() async throws {
        try await TestDatabase.with { database in
            try await World.with(database) { world in
                let own = try await world.clientToken(world.backend)
                let others = try await world.clientToken(world.api)

                let revoked = try await world.post(
                    "revoke", world.backend, "token=\(own)&token_type_hint=refresh_token")
                #expect(revoked.status == 200)
                #expect(revoked.raw.isEmpty)
                #expect(try await !world.isActive(own))

                let foreign = try await world.post("revoke", world.backend, "token=\(others)")
                #expect(foreign.status == 200 && foreign.raw.isEmpty)
                #expect(try await world.isActive(others))
                #expect(try await world.post("revoke", world.backend, "token=unknown").status == 200)

                // Revoking a refresh token revokes its family: the access token issued with it too.
                let (access, refresh) = try await world.signIn()
                #expect(try await world.post("revoke", world.mobile, "token=\(refresh)").status == 200)
                #expect(try await !world.isActive(access))
                #expect(try await world.refresh(refresh).status == 400)
            }
        }
    }

    @Test("administrators revoke an application's or a user's tokens; disabling revokes too")
    func administratorRevocation() async throws {
        try await TestDatabase.with { database in
            try await World.with(database) { world in
                let admin = database.administration
                let before = try await world.clientToken(world.backend)
                try await admin.revokeTokens(tenant: "acme.example", consumerKey: world.backend.key)
                #expect(try await !world.isActive(before))
                let after = try await world.clientToken(world.backend)
                #expect(try await world.isActive(after), "tokens issued after the revocation work")

                let (alices, alicesRefresh) = try await world.signIn()
                try await admin.revokeTokens(tenant: "acme.example", consumerKey: world.mobile.key, username: "ALICE")
                #expect(try await !world.isActive(alices))
                #expect(try await world.refresh(alicesRefresh).status == 400)
                await #expect(throws: AdministrationError.self) {
                    try await admin.revokeTokens(
                        tenant: "acme.example", consumerKey: world.mobile.key, username: "nobody")
                }

                let live = try await world.clientToken(world.backend)
                try await admin.setApplication(tenant: "acme.example", consumerKey: world.backend.key, enabled: false)
                try await admin.setApplication(tenant: "acme.example", consumerKey: world.backend.key, enabled: true)
                world.service.cache.invalidate(tenantID: 1)
                #expect(try await !world.isActive(live), "enabling again does not bring tokens back")

                let beforeRotation = try await world.clientToken(world.backend)
                _ = try await admin.rotateSecret(
                    tenant: "acme.example", consumerKey: world.backend.key, revokeTokens: true)
                #expect(try await !world.isActive(beforeRotation))
            }
        }
    }

    @Test("discovery at both RFC 8414 paths, with the installed grants; unknown tenants 404")
    func discovery() async throws {
        try await TestDatabase.with { database in
            try await World.with(database) { world in
                for path in [
                    "/t/acme.example/.well-known/oauth-authorization-server",
                    "/.well-known/oauth-authorization-server/t/acme.example",
                ] {
                    let (status, body) = try await world.service.application.test(.router) { http in
                        try await http.execute(uri: path, method: .get) { response in
                            (
                                response.status.code,
                                try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))
                                    as? [String: Any] ?? [:]
                            )
                        }
                    }
                    #expect(status == 200)
                    #expect(body["issuer"] as? String == "https://auth.example/t/acme.example")
                    #expect(body["token_endpoint"] as? String == "https://auth.example/t/acme.example/token")
                    #expect(
                        body["introspection_endpoint"] as? String == "https://auth.example/t/acme.example/introspect")
                    #expect(body["revocation_endpoint"] as? String == "https://auth.example/t/acme.example/revoke")
                    #expect(
                        body["grant_types_supported"] as? [String] == [
                            "authorization_code", "client_credentials", "password", "refresh_token",
                        ])
                    // Public clients (`none`) at the token and revocation endpoints; introspection needs proof.
                    #expect(
                        body["token_endpoint_auth_methods_supported"] as? [String]
                            == ["client_secret_basic", "client_secret_post", "none", "private_key_jwt"])
                    #expect(
                        body["introspection_endpoint_auth_methods_supported"] as? [String]
                            == ["client_secret_basic", "client_secret_post", "private_key_jwt"])
                    // The authorization code grant's endpoint adds its members (RFC 8414, RFC 9207).
                    #expect(
                        body["authorization_endpoint"] as? String == "https://auth.example/t/acme.example/authorize")
                    #expect(body["response_types_supported"] as? [String] == ["code"])
                    #expect(body["code_challenge_methods_supported"] as? [String] == ["S256"])
                    #expect(body["authorization_response_iss_parameter_supported"] as? Bool == true)
                    #expect(
                        body["token_endpoint_auth_signing_alg_values_supported"] as? [String]
                            == ["ES256", "EdDSA", "RS256", "PS256"])
                }
                let missing = try await world.service.application.test(.router) { http in
                    try await http.execute(uri: "/t/nope.example/.well-known/oauth-authorization-server", method: .get)
                    {
                        $0.status.code
                    }
                }
                #expect(missing == 404)
            }
        }
    }
}
