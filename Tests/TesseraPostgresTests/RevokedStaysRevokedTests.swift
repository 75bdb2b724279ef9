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

/// Issue 18, "revoked stays revoked": an access token issued in a refresh family is inactive once the family is
/// revoked, and stays inactive whatever purge deletes afterwards, even when the access token outlives every
/// refresh token of its family.
@Suite("Revoked stays revoked", .timeLimit(.minutes(3)))
struct RevokedStaysRevokedTests {
    @Test("access tokens of a revoked family stay inactive after purge deletes the family's expired refresh tokens")
    func revokedFamilyOutlivedByItsAccessTokens() async throws {
        try await TestDatabase.with { database in
            let admin = database.administration
            _ = try await admin.createTenant(domain: "acme.example")
            let grants: Set<GrantType> = ["password", "refresh_token"]
            // Refresh tokens for 10 minutes, access tokens for an hour: nothing forbids it.
            let (application, secret) = try await admin.createApplication(
                tenant: "acme.example",
                settings: ApplicationSettings(
                    name: "mobile", grantTypes: grants, allowedScopes: "read", defaultScopes: "read",
                    defaultTokenValidity: 3600, maxTokenValidity: 86_400, refreshTokenValidity: 600,
                    introspectAny: true, supportedGrantTypes: grants))
            _ = try await UserAdministration(client: database.client, logger: database.logger).createUser(
                tenant: "acme.example", username: "alice", passwordHash: TestPasswordHasher.hash("pw", cost: 12))
            let clock = TestClock()
            try await TokenService.with(client: database.client, now: { clock.now }) { service in
                func post(_ endpoint: String, _ form: String) async throws -> [String: Any] {
                    try await service.post(endpoint, key: application.consumerKey, secret: secret, form: form)
                }
                func isActive(_ token: String) async throws -> Bool {
                    try #require(try await post("introspect", "token=\(token)")["active"] as? Bool)
                }

                // A sign-in asking for two hours (validity_period beyond the refresh validity), then one rotation,
                // whose access token gets the application's hour.
                let signIn = try await post(
                    "token", "grant_type=password&username=alice&password=pw&validity_period=7200")
                let signInAccess = try #require(signIn["access_token"] as? String)
                let rotated = try await post(
                    "token",
                    "grant_type=refresh_token&refresh_token=\(try #require(signIn["refresh_token"] as? String))")
                let rotatedAccess = try #require(rotated["access_token"] as? String)
                let rotatedRefresh = try #require(rotated["refresh_token"] as? String)

                _ = try await post("revoke", "token=\(rotatedRefresh)")
                #expect(try await !isActive(signInAccess))
                #expect(try await !isActive(rotatedAccess))

                // Past every refresh token's expiry, well before either access token's.
                clock.advance(by: 700)
                let report = try await TokenPartitions(client: database.client, logger: database.logger).purge(
                    now: clock.now)
                #expect(try await !isActive(signInAccess), "the sign-in's access token after purge (\(report))")
                #expect(try await !isActive(rotatedAccess), "the rotation's access token after purge (\(report))")
            }
        }
    }

    /// Access lifetimes and refresh validities on both sides of each other, from a minute to past the daily
    /// partitions (a month partition from day 32 on).
    static let accessLifetimes = [60, 3600, 2 * 86_400, 40 * 86_400]
    static let refreshValidities = [30, 3600, 86_400, 14 * 86_400]

    @Test(
        "at every purge time a revoked family's access tokens are inactive, and a live family's active until they expire",
        arguments: accessLifetimes, refreshValidities)
    func atEveryPurgeTime(accessLifetime: Int, refreshValidity: Int) async throws {
        try await TestDatabase.with { database in
            try await database.withTokenStore { store in
                let registry = try await FamilyRegistry.make(database, store: store)
                let start = Date()
                let rotation = start.addingTimeInterval(Double(refreshValidity) / 2)
                let family = {
                    try await registry.family(
                        start: start, rotatedAt: rotation, accessLifetime: accessLifetime,
                        refreshValidity: refreshValidity)
                }
                let revokedByClient = try await family()
                let revokedAsReplay = try await family()
                let live = try await family()
                try await registry.ledger.revoke(
                    revokedByClient.refresh, tenantID: registry.tenantID, applicationID: registry.applicationID,
                    at: rotation)
                try await registry.ledger.revokeFamily(revokedAsReplay.id, tenantID: registry.tenantID, at: rotation)
                let revoked = revokedByClient.accessTokens + revokedAsReplay.accessTokens

                // From the revocation on: a second either side of each moment something expires, and two days after
                // the last. A purge deletes all that any earlier purge does, so one database purging at each time in
                // turn ends each step as one database purged once at that time would.
                let expiries = (live.accessTokens.map(\.expiresAt) + live.refreshExpiries).map {
                    $0.timeIntervalSince(start)
                }
                let revokedAt = rotation.timeIntervalSince(start)
                let moments = expiries.flatMap { [$0 - 1, $0 + 1] } + [revokedAt, (expiries.max() ?? 0) + 2 * 86_400]
                let batched = BatchedTokenLedger(client: database.client, readers: 1)
                let runner = Task { try await batched.run() }
                defer { runner.cancel() }
                for offset in Set(moments).filter({ $0 >= revokedAt }).sorted() {
                    let now = start.addingTimeInterval(offset)
                    let report = try await TokenPartitions(client: database.client, logger: database.logger).purge(
                        now: now)
                    let context = "purged at +\(Int(offset)) s (\(report.deletedFamilies) families deleted)"
                    for token in revoked {
                        let found = try await registry.ledger.activeToken(
                            token.reference, tenantID: registry.tenantID, at: now)
                        #expect(found == nil, "revoked access token expiring at +\(token.expiresIn) s, \(context)")
                        // The batched ledger (what `serve` runs) reads the same rule, but at the real time, before the
                        // purge time: its answer is the one at the purge time only for a token unexpired at both.
                        guard now < token.expiresAt else { continue }
                        let batchedFound = try await batched.activeToken(
                            token.reference, tenantID: registry.tenantID, at: now)
                        #expect(batchedFound == nil, "batched: revoked access token, \(context)")
                    }
                    for token in live.accessTokens {
                        let found = try await registry.ledger.activeToken(
                            token.reference, tenantID: registry.tenantID, at: now)
                        #expect(
                            (found != nil) == (now < token.expiresAt),
                            "live access token expiring at +\(token.expiresIn) s, \(context)")
                    }
                }
            }
        }
    }

    @Test("migration 0007 extends each stored family to its latest live access token, and shortens none")
    func migrationExtendsStoredFamilies() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let migrations = try Migration.embedded()
            let runner = MigrationRunner(migrations: migrations)
            try await MigrationRunner(migrations: migrations.filter { $0.version < 7 }).migrate(
                client: database.client, logger: database.logger)
            // Family 1 as the earlier statements wrote it: its refresh token's ten minutes, its access token's
            // two hours. Family 2 already outlives its access token.
            try await database.client.query(
                """
                INSERT INTO token_families (tenant_id, application_id, user_id, created_at, expires_at)
                VALUES (1, 1, 1, now(), now() + interval '10 minutes'), (1, 1, 1, now(), now() + interval '14 days')
                """)
            try await database.client.query(
                "SELECT tessera_ensure_token_partition('access_tokens', now() + interval '2 hours')")
            try await database.client.query(
                """
                INSERT INTO access_tokens (tenant_id, token_hash, expires_at, application_id, user_id, family_id, subject,
                                           scopes, grant_type, issued_at)
                SELECT 1, sha256(convert_to(family_id::text, 'UTF8')), now() + interval '2 hours', 1, 1, family_id,
                       'alice', '{default}', 'password', now()
                FROM token_families
                """)
            try await runner.migrate(client: database.client, logger: database.logger)
            let covered = try await database.client.rows(
                """
                SELECT f.expires_at = a.expires_at, f.expires_at = f.created_at + interval '14 days'
                FROM token_families f
                JOIN access_tokens a ON a.tenant_id = f.tenant_id AND a.family_id = f.family_id ORDER BY f.family_id
                """, as: (Bool, Bool).self)
            #expect(covered.map(\.0) == [true, false], "family 1 now ends with its access token")
            #expect(covered.map(\.1) == [false, true], "family 2 keeps its later expiry")
        }
    }

    @Test("an access token whose family row is gone is inactive: nothing says it was not revoked")
    func accessTokenWithoutItsFamily() async throws {
        try await TestDatabase.with { database in
            try await database.withTokenStore { store in
                let registry = try await FamilyRegistry.make(database, store: store)
                let start = Date()
                let family = try await registry.family(
                    start: start, rotatedAt: start, accessLifetime: 3600, refreshValidity: 3600)
                // As a purge by an earlier version left it: the family deleted, its access tokens still stored.
                try await database.client.query("DELETE FROM token_families")
                for token in family.accessTokens {
                    let found = try await registry.ledger.activeToken(
                        token.reference, tenantID: registry.tenantID, at: start)
                    #expect(found == nil)
                }
            }
        }
    }

    /// Families of one user's sign-ins, written through the store and the ledger as the grants write them.
    struct FamilyRegistry {
        let store: any TokenStore
        let ledger: PostgresTokenLedger
        let tenantID: Tenant.ID
        let applicationID: ClientApplication.ID
        let userID: User.ID

        struct AccessToken {
            let reference: TokenReference
            let expiresAt: Date
            let expiresIn: Int
        }

        struct Family {
            let id: RefreshTokenState.FamilyID
            let accessTokens: [AccessToken]
            let refreshExpiries: [Date]
            /// The family's current refresh token.
            let refresh: TokenReference
        }

        static func make(_ database: TestDatabase, store: any TokenStore) async throws -> FamilyRegistry {
            let registered = try await database.register()
            _ = try await UserAdministration(client: database.client, logger: database.logger).createUser(
                tenant: "acme.example", username: "alice", passwordHash: TestPasswordHasher.hash("pw", cost: 12))
            let ids = try await database.client.rows(
                """
                SELECT a.tenant_id, a.application_id, u.user_id FROM applications a
                JOIN users u ON u.tenant_id = a.tenant_id AND u.username = 'alice'
                WHERE a.consumer_key = \(registered.application.consumerKey)
                """, as: (Int64, Int64, Int64).self)
            let (tenantID, applicationID, userID) = try #require(ids.first)
            return FamilyRegistry(
                store: store,
                ledger: PostgresTokenLedger(client: database.client),
                tenantID: tenantID, applicationID: applicationID, userID: userID)
        }

        /// A sign-in at `start` and one rotation at `rotatedAt`, each issuing an access token for `accessLifetime`
        /// and a refresh token for `refreshValidity` seconds.
        func family(start: Date, rotatedAt: Date, accessLifetime: Int, refreshValidity: Int) async throws -> Family {
            let (firstAccess, firstAccessToken) = try accessToken(
                issuedAt: start, lifetime: accessLifetime, start: start)
            let (firstRefresh, firstRefreshToken) = try refreshToken(issuedAt: start, validity: refreshValidity)
            try await store.store(firstAccessToken, startingFamilyWith: firstRefreshToken)
            let state = try #require(try await ledger.refreshToken(firstRefresh, tenantID: tenantID, at: start))
            let (secondAccess, secondAccessToken) = try accessToken(
                issuedAt: rotatedAt, lifetime: accessLifetime, start: start)
            let (secondRefresh, secondRefreshToken) = try refreshToken(issuedAt: rotatedAt, validity: refreshValidity)
            let rotated = try await ledger.rotate(
                firstRefresh, family: state.family, accessToken: secondAccessToken, refreshToken: secondRefreshToken)
            #expect(rotated)
            return Family(
                id: state.family, accessTokens: [firstAccess, secondAccess],
                refreshExpiries: [firstRefreshToken.expiresAt, secondRefreshToken.expiresAt], refresh: secondRefresh)
        }

        func accessToken(issuedAt: Date, lifetime: Int, start: Date) throws -> (AccessToken, IssuedToken) {
            let expiresAt = issuedAt.addingTimeInterval(Double(lifetime))
            let token = TokenReference.generate(.access, expiresAt: expiresAt)
            let issued = IssuedToken(
                hash: TokenHash(of: token), tenantID: tenantID, applicationID: applicationID, subject: "alice",
                scopes: ScopeSet(["default"]), grantType: "password", issuedAt: issuedAt, expiresAt: expiresAt,
                userID: userID)
            let reference = try #require(TokenReference(token))
            return (
                AccessToken(
                    reference: reference, expiresAt: expiresAt, expiresIn: Int(expiresAt.timeIntervalSince(start))),
                issued
            )
        }

        func refreshToken(issuedAt: Date, validity: Int) throws -> (TokenReference, IssuedRefreshToken) {
            let expiresAt = issuedAt.addingTimeInterval(Double(validity))
            let token = TokenReference.generate(.refresh, expiresAt: expiresAt)
            let issued = IssuedRefreshToken(
                hash: TokenHash(of: token), tenantID: tenantID, applicationID: applicationID, userID: userID,
                subject: "alice", scopes: ScopeSet(["default"]), issuedAt: issuedAt, expiresAt: expiresAt)
            return (try #require(TokenReference(token)), issued)
        }
    }
}
