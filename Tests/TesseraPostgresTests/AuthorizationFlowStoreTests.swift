import Crypto
import Foundation
import PostgresNIO
import TesseraCore
import TesseraPostgres
import Testing

/// The authorization code grant's PostgreSQL stores (migration 0017): codes single-use under concurrency, replays
/// naming what the code gave, sessions and consents, and what purge removes.
@Suite("Authorization flow stores", .timeLimit(.minutes(2)))
struct AuthorizationFlowStoreTests {
    /// A tenant, an application and a user; their ids.
    static func setUp(_ database: TestDatabase) async throws -> (Tenant.ID, ClientApplication.ID, User.ID) {
        let registered = try await database.register()
        _ = try await UserAdministration(client: database.client, logger: database.logger).createUser(
            tenant: "acme.example", username: "alice", passwordHash: "$2b$04$abcdefghijklmnopqrstuu")
        let ids = try await database.client.rows(
            """
            SELECT a.tenant_id, a.application_id, u.user_id FROM applications a
            JOIN users u ON u.tenant_id = a.tenant_id
            WHERE a.consumer_key = \(registered.application.consumerKey) AND u.username = 'alice'
            """, as: (Int64, Int64, Int64).self)
        return try #require(ids.first)
    }

    static func code(_ tenantID: Tenant.ID, _ applicationID: ClientApplication.ID, _ userID: User.ID, expiresAt: Date)
        throws -> (String, AuthorizationCode)
    {
        let text = AuthorizationCode.generate()
        let challenge = Base64URL.encode(Data(SHA256.hash(data: Data(String(repeating: "v", count: 43).utf8))))
        return (
            text,
            AuthorizationCode(
                hash: TokenHash(of: text), tenantID: tenantID, applicationID: applicationID, userID: userID,
                username: "", redirectURI: "https://app.example/cb",
                challenge: try PKCEChallenge(challenge: challenge, method: "S256"), scopes: ScopeSet(["read"]),
                resources: ["https://api.example"], expiresAt: expiresAt)
        )
    }

    @Test("of two redemptions at once exactly one gets the code; the other is a replay naming what it gave")
    func singleUse() async throws {
        try await TestDatabase.with { database in
            let (tenantID, applicationID, userID) = try await Self.setUp(database)
            let codes = PostgresAuthorizationCodes(client: database.client)
            let (_, code) = try Self.code(tenantID, applicationID, userID, expiresAt: Date().addingTimeInterval(60))
            try await codes.save(code)
            async let first = codes.redeem(code.hash, tenantID: tenantID, at: Date())
            async let second = codes.redeem(code.hash, tenantID: tenantID, at: Date())
            let outcomes = try await [first, second]
            let redeemed = outcomes.compactMap { outcome -> AuthorizationCode? in
                if case .redeemed(let code) = outcome { return code }
                return nil
            }
            #expect(redeemed.count == 1)
            #expect(redeemed.first?.username == "alice" && redeemed.first?.resources == ["https://api.example"])
            #expect(outcomes.contains(.replayed(applicationID: applicationID, issued: [])))
            // Tokens recorded after a replay are refused: the caller revokes them.
            let token = try #require(TokenReference(TokenReference.generate(.access, expiresAt: Date())))
            #expect(try await codes.recordIssued([token], code: code.hash, tenantID: tenantID) == false)
        }
    }

    @Test("a replay names the tokens recorded for the code; an expired or unknown code is invalid")
    func replayNamesTokens() async throws {
        try await TestDatabase.with { database in
            let (tenantID, applicationID, userID) = try await Self.setUp(database)
            let codes = PostgresAuthorizationCodes(client: database.client)
            let (_, code) = try Self.code(tenantID, applicationID, userID, expiresAt: Date().addingTimeInterval(60))
            try await codes.save(code)
            guard case .redeemed = try await codes.redeem(code.hash, tenantID: tenantID, at: Date()) else {
                Issue.record("the code was not redeemed")
                return
            }
            let access = try #require(TokenReference(TokenReference.generate(.access, expiresAt: Date())))
            let refresh = try #require(TokenReference(TokenReference.generate(.refresh, expiresAt: Date())))
            #expect(try await codes.recordIssued([access, refresh], code: code.hash, tenantID: tenantID))
            #expect(
                try await codes.redeem(code.hash, tenantID: tenantID, at: Date())
                    == .replayed(applicationID: applicationID, issued: [access, refresh]))

            let (_, late) = try Self.code(tenantID, applicationID, userID, expiresAt: Date().addingTimeInterval(60))
            try await codes.save(late)
            #expect(
                try await codes.redeem(late.hash, tenantID: tenantID, at: Date().addingTimeInterval(61)) == .invalid)
            #expect(try await codes.redeem(TokenHash(of: "unknown"), tenantID: tenantID, at: Date()) == .invalid)
            #expect(try await codes.redeem(late.hash, tenantID: tenantID + 1, at: Date()) == .invalid)
        }
    }

    @Test("sessions end, expire and are purged; expired codes are purged a day late")
    func sessionsAndPurge() async throws {
        try await TestDatabase.with { database in
            let (tenantID, applicationID, userID) = try await Self.setUp(database)
            let sessions = PostgresBrowserSessions(client: database.client)
            let now = Date()
            try await sessions.start(TokenHash(of: "a"), tenantID: tenantID, userID: userID, expiresAt: now + 3600)
            try await sessions.start(TokenHash(of: "b"), tenantID: tenantID, userID: userID, expiresAt: now + 3600)
            #expect(
                try await sessions.user(session: TokenHash(of: "a"), tenantID: tenantID, at: now)?.username == "alice")
            #expect(try await sessions.user(session: TokenHash(of: "a"), tenantID: tenantID, at: now + 3601) == nil)
            #expect(try await sessions.user(session: TokenHash(of: "a"), tenantID: tenantID + 1, at: now) == nil)
            try await sessions.end(TokenHash(of: "b"), tenantID: tenantID)
            #expect(try await sessions.user(session: TokenHash(of: "b"), tenantID: tenantID, at: now) == nil)

            let codes = PostgresAuthorizationCodes(client: database.client)
            let (_, code) = try Self.code(tenantID, applicationID, userID, expiresAt: now + 60)
            try await codes.save(code)
            let partitions = TokenPartitions(client: database.client, logger: database.logger)
            let early = try await partitions.purge(now: now + 3601)
            #expect(early.expiredSessions == 1 && early.expiredCodes == 0)
            let late = try await partitions.purge(now: now + 60 + 86_401)
            #expect(late.expiredCodes == 1)
        }
    }

    @Test("a consent grows by union, covers what it holds, and is revoked")
    func consents() async throws {
        try await TestDatabase.with { database in
            let (tenantID, applicationID, userID) = try await Self.setUp(database)
            let consents = PostgresConsents(client: database.client)
            #expect(try await consents.consent(tenantID: tenantID, userID: userID, applicationID: applicationID) == nil)
            try await consents.record(
                tenantID: tenantID, userID: userID, applicationID: applicationID, scopes: ScopeSet(["read"]),
                resources: ["https://b.example"])
            try await consents.record(
                tenantID: tenantID, userID: userID, applicationID: applicationID, scopes: ScopeSet(["write", "read"]),
                resources: ["https://a.example"])
            let consent = try #require(
                try await consents.consent(tenantID: tenantID, userID: userID, applicationID: applicationID))
            #expect(consent.scopes == ScopeSet(["read", "write"]))
            #expect(consent.resources == ["https://a.example", "https://b.example"])
            #expect(consent.covers(scopes: ScopeSet(["write"]), resources: ["https://b.example"]))
            #expect(!consent.covers(scopes: ScopeSet(["admin"]), resources: []))
            #expect(try await consents.revoke(tenantID: tenantID, userID: userID, applicationID: applicationID))
            #expect(
                try await consents.revoke(tenantID: tenantID, userID: userID, applicationID: applicationID) == false)
        }
    }
}
