import Foundation
import Synchronization
import TesseraTesting
import Testing

@testable import TesseraCore

@Suite("Token reuse rules (issue 18)")
struct TokenReuseRuleTests {

    /// One reusable row per key, as PostgresTokenReuseStore keeps them; every token it holds is active.
    final class ReuseStore: TokenReuseStore {
        private let rows = Mutex([ReuseKey: (token: IssuedToken, sealed: [UInt8])]())
        /// Runs once, inside the next read, before the read looks: what another request did while this one waited.
        let meanwhile = Mutex<(@Sendable () async throws -> Void)?>(nil)

        func current(_ key: ReuseKey, at now: Date) async throws -> ReusableToken {
            if let other = meanwhile.withLock({ $0.take() }) { try await other() }
            guard let row = rows.withLock({ $0[key] }) else { return .replaceable(seen: nil) }
            return row.token.expiresAt > now
                ? .live(sealed: row.sealed, issuedAt: row.token.issuedAt, expiresAt: row.token.expiresAt)
                : .replaceable(seen: row.token.issuedAt)
        }

        func claim(_ key: ReuseKey, replacing seen: Date?, token: IssuedToken, sealed: [UInt8]) async throws -> Bool {
            rows.withLock {
                guard $0[key]?.token.issuedAt == seen else { return false }
                $0[key] = (token, sealed)
                return true
            }
        }
    }

    let clock = TestClock(Date(timeIntervalSince1970: 1_750_000_000))
    let store = ReuseStore()
    let issuer: TokenIssuer
    let client = ClientApplication(
        tenantID: 1, id: 1, consumerKey: "pBzuIZhGphfQmdcUX0lneFiiuxwa", secretHash: SecretHash.make(for: "secret"),
        name: "reuser", grantTypes: ["client_credentials"], allowedScopes: ScopeSet(["default"]),
        defaultScopes: ScopeSet(["default"]), defaultTokenValidity: 3600, maxTokenValidity: 86400, enabled: true,
        tokenReuse: .active, reuseMinRemaining: 60)

    init() {
        let clock = clock
        issuer = TokenIssuer(
            store: InMemoryTokenStore(),
            reusable: ReusableTokens(
                store: store, sealer: ServerKey(base64: ServerKey.generateKey())!),
            now: { clock.now })
    }

    func token(lifetime: Int, subject: TokenSubject? = nil) async throws -> TokenResponse {
        try await issuer.issue(
            for: client, in: Fixtures.tenant(), subject: subject ?? .client(consumerKey: client.consumerKey),
            scopes: client.defaultScopes,
            lifetime: lifetime, grantType: "client_credentials")
    }

    @Test("a live token with more time left than the request asks for is not reused: a new one is issued")
    func neverOutlivesTheAskedLifetime() async throws {
        let hour = try await token(lifetime: 3600)
        let minute = try await token(lifetime: 60)
        #expect(minute.accessToken != hour.accessToken)
        #expect(minute.expiresIn == 60)
    }

    @Test("a token another request stored while this one read is reused, though issued after this one began")
    func burstMakesOneToken() async throws {
        // Request A starts, reads and stores its token while request B, begun half a second earlier, still waits for
        // its read: B must take A's token, not judge it by its own start (3600.5 s left of 3600) and replace it.
        let issuedToA = Mutex<String?>(nil)
        store.meanwhile.withLock {
            $0 = { [self] in
                clock.advance(by: 0.5)
                let response = try await token(lifetime: 3600)
                issuedToA.withLock { $0 = response.accessToken }
            }
        }
        let second = try await token(lifetime: 3600)
        #expect(second.accessToken == issuedToA.withLock { $0 })
        #expect(second.expiresIn == 3600)
    }

    @Test("a live token is reused while its remaining lifetime is at most the lifetime asked for")
    func reusedWithinTheAskedLifetime() async throws {
        let first = try await token(lifetime: 3600)
        clock.advance(by: 1000)
        let same = try await token(lifetime: 2600)
        #expect(same.accessToken == first.accessToken)
        #expect(same.expiresIn == 2600)
        let shorter = try await token(lifetime: 2599)
        #expect(shorter.accessToken != first.accessToken)
        #expect(shorter.expiresIn == 2599)
    }

    @Test("a token with fewer than --reuse-min-remaining seconds left is replaced, whatever the lifetime asked for")
    func minimumRemaining() async throws {
        let first = try await token(lifetime: 3600)
        clock.advance(by: 3541)
        let next = try await token(lifetime: 3600)
        #expect(next.accessToken != first.accessToken)
        #expect(next.expiresIn == 3600)
    }

    @Test(
        "the rule: reuse when --reuse-min-remaining < remaining <= the lifetime asked for",
        arguments: [
            (3600.0, 3600, 60, true), (3599.5, 3600, 60, true), (3601.0, 3600, 60, false), (61.0, 3600, 60, true),
            (60.0, 3600, 60, false), (59.0, 60, 60, false), (600.0, 60, 60, false), (30.0, 60, 0, true),
        ])
    func rule(remaining: Double, lifetime: Int, minimumRemaining: Int, allowed: Bool) {
        #expect(
            ReuseRule.allows(remaining: remaining, lifetime: lifetime, minimumRemaining: minimumRemaining) == allowed)
    }

    @Test("a client and a user of the same name have distinct reuse keys and seal bindings")
    func subjectKinds() async throws {
        let asClient = try await token(lifetime: 3600)
        let asUser = try await token(lifetime: 3600, subject: .user(username: client.consumerKey))
        #expect(asUser.accessToken != asClient.accessToken)
        #expect(
            try await token(lifetime: 3600, subject: .user(username: client.consumerKey)).accessToken
                == asUser.accessToken)
        let key = { (subject: TokenSubject) in
            ReuseKey(tenantID: 1, applicationID: 1, subject: subject, scopes: ScopeSet(["default"]))
        }
        let name = client.consumerKey
        #expect(key(.client(consumerKey: name)) != key(.user(username: name)))
        let sealer = ServerKey(base64: ServerKey.generateKey())!
        let sealed = try sealer.seal("tsr_at_1.token", for: key(.client(consumerKey: name)))
        #expect(sealer.open(sealed, for: key(.client(consumerKey: name))) == "tsr_at_1.token")
        #expect(sealer.open(sealed, for: key(.user(username: name))) == nil)
    }
}
