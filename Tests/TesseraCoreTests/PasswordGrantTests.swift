import Logging
import PasswordGrant
import TesseraCore
import TesseraTesting
import Testing

@Suite("Password grant (RFC 6749 §4.3)")
struct PasswordGrantTests {
    let users = InMemoryUserDirectory()
    let store = InMemoryTokenStore()
    let hasher = TestPasswordHasher(cost: 12)
    let throttle = LoginThrottle(freeFailures: 3, baseDelay: 30, window: 300)
    let client = Fixtures.application(grantTypes: ["password"])
    let context = GrantContext(
        tenant: Fixtures.tenant(), client: Fixtures.application(grantTypes: ["password"]),
        logger: Logger(label: "test"))

    init() {
        users.put(
            User(
                tenantID: 1, id: 10, username: "Alice",
                passwordHash: TestPasswordHasher.hash("correct horse", cost: 12), enabled: true))
        users.put(
            User(
                tenantID: 1, id: 11, username: "bob", passwordHash: TestPasswordHasher.hash("pw", cost: 12),
                enabled: false))
        users.put(
            User(
                tenantID: 1, id: 12, username: "old", passwordHash: TestPasswordHasher.hash("pw", cost: 8),
                enabled: true))
    }

    var grant: PasswordGrant {
        PasswordGrant(
            issuer: TokenIssuer(store: store),
            signIn: UserSignIn(users: users, passwords: hasher, throttle: throttle))
    }

    func request(_ values: [String: String]) throws -> PasswordGrant.Request {
        try grant.parse(TokenRequestParameters(values))
    }

    @Test("the right password buys a token for the user: subject is the username, the user id is stored")
    func success() async throws {
        let response = try await grant.handle(
            try request(["username": "alice", "password": "correct horse", "scope": "read"]), context: context)
        #expect(response.scope.tokens == ["read"])
        let token = try #require(store.tokens.first)
        #expect(token.subject == "Alice" && token.userID == 10 && token.grantType == "password")
    }

    @Test(
        "unknown user, wrong password and disabled user get one and the same invalid_grant",
        arguments: [["alice", "wrong"], ["nobody", "correct horse"], ["bob", "pw"]])
    func sameFailure(_ attempt: [String]) async throws {
        do {
            _ = try await grant.handle(try request(["username": attempt[0], "password": attempt[1]]), context: context)
            Issue.record("expected invalid_grant")
        } catch let error as OAuthError {
            #expect(error.code == .invalidGrant)
            #expect(error.description == "the username or password is incorrect")
        }
        #expect(hasher.verificationCount == 1)  // a hash was checked even for the unknown user
        #expect(store.tokens.isEmpty)
    }

    @Test("username or password missing -> invalid_request", arguments: [["username": "alice"], ["password": "x"]])
    func missing(_ values: [String: String]) {
        #expect(throws: OAuthError.invalidRequest("the username and password parameters are required")) {
            try request(values)
        }
    }

    @Test("repeated failures -> 429 slow_down with Retry-After, and no hash is checked meanwhile")
    func throttled() async throws {
        for _ in 0..<3 {
            _ = try? await grant.handle(try request(["username": "alice", "password": "wrong"]), context: context)
        }
        let checks = hasher.verificationCount
        do {
            _ = try await grant.handle(
                try request(["username": "ALICE", "password": "correct horse"]), context: context)
            Issue.record("expected slow_down")
        } catch let error as OAuthError {
            #expect(error.status == 429 && error.code == .slowDown)
            #expect(error.retryAfter == 30)
        }
        #expect(hasher.verificationCount == checks)
    }

    @Test("a hash of an old cost is upgraded after a successful sign-in")
    func rehash() async throws {
        _ = try await grant.handle(try request(["username": "old", "password": "pw"]), context: context)
        // After the answer (UserSignInTests): wait for it.
        let upgraded = TestPasswordHasher.hash("pw", cost: 12)
        for _ in 0..<500 where try await users.user(tenantID: 1, username: "old")?.passwordHash != upgraded {
            try await Task.sleep(for: .milliseconds(10))
        }
        let user = try #require(try await users.user(tenantID: 1, username: "old"))
        #expect(user.passwordHash == upgraded)
    }

    @Test("a bad scope is refused before any password is checked")
    func scopeFirst() async throws {
        await #expect(throws: OAuthError.self) {
            try await grant.handle(
                try request(["username": "alice", "password": "x", "scope": "admin"]), context: context)
        }
        #expect(hasher.verificationCount == 0)
    }
}
