import AuthorizationCodeGrant
import Crypto
import Foundation
import Logging
import Synchronization
import TesseraCore
import TesseraPages
import TesseraTesting
import Testing

/// The authorization code grant and its endpoint over in-memory stores: each rule of RFC 6749 §4.1, RFC 7636 and
/// RFC 9700 it follows, driven as a browser and a client would, with an injected clock.
@Suite("Authorization code grant")
struct AuthorizationCodeGrantTests {
    static let redirect = "http://127.0.0.1/callback"
    static let verifier = String(repeating: "v", count: 50)
    static var challenge: String { Base64URL.encode(Data(SHA256.hash(data: Data(verifier.utf8)))) }
    static let issuer = "https://auth.example/t/acme.com"

    let clock = TestClock()
    let directory = InMemoryClientDirectory()
    let users = InMemoryUserDirectory()
    let codes = InMemoryAuthorizationCodes()
    let consents = InMemoryConsents()
    let ledger = RevocationLedger()
    let sessions: InMemoryBrowserSessions
    let endpoint: AuthorizationEndpoint
    let grant: AuthorizationCodeGrant
    let client: ClientApplication

    init() {
        directory.put(Fixtures.tenant())
        client = Fixtures.application(
            consumerKey: "pubClientKey0000000000000000", name: "Agent <b>", grantTypes: ["authorization_code"],
            allowedScopes: ["mcp:tools", "profile"], defaultScopes: ["mcp:tools"], authentication: .publicClient,
            redirectURIs: [Self.redirect, "https://agent.example/cb"])
        directory.put(client)
        users.put(
            User(
                tenantID: 1, id: 7, username: "alice", passwordHash: TestPasswordHasher.hash("pw", cost: 4),
                enabled: true))
        sessions = InMemoryBrowserSessions(users: users)
        let clock = clock
        let issuer = TokenIssuer(store: InMemoryTokenStore(), now: { clock.now })
        endpoint = AuthorizationEndpoint(
            directory: directory, codes: codes, sessions: sessions, consents: consents,
            resources: StaticProtectedResources([ProtectedResource(uri: "https://mcp.acme.com", name: "Acme tools")]),
            signIn: UserSignIn(users: users, passwords: TestPasswordHasher(cost: 4), throttle: LoginThrottle()),
            issuer: IssuerURL(base: "https://auth.example"), now: { clock.now })
        grant = AuthorizationCodeGrant(issuer: issuer, codes: codes, ledger: ledger, endpoint: endpoint)
    }

    // MARK: the browser's side

    /// The authorization request's parameters, changed by `changes` (nil removes one).
    func query(_ changes: [String: String?] = [:]) -> TokenRequestParameters {
        var values: [String: String?] = [
            "response_type": "code", "client_id": client.consumerKey, "redirect_uri": "http://127.0.0.1:53682/callback",
            "scope": "mcp:tools", "state": "xyz", "code_challenge": Self.challenge, "code_challenge_method": "S256",
            "resource": "https://mcp.acme.com",
        ]
        values.merge(changes) { $1 }
        var parameters = TokenRequestParameters()
        for (name, value) in values.sorted(by: { $0.key < $1.key }) { if let value { parameters.append(name, value) } }
        return parameters
    }

    func get(_ query: TokenRequestParameters, cookie: BrowserCookie? = nil) async -> EndpointResponse {
        await endpoint.respond(
            to: EndpointRequest(
                method: .get, tenantDomain: "acme.com", query: query,
                cookies: cookie.map { [BrowserCookie.name(secure: false): $0.value] } ?? [:]),
            logger: Logger(label: "test"))
    }

    func post(_ form: [String: String], cookie: BrowserCookie?, query: TokenRequestParameters? = nil) async
        -> EndpointResponse
    {
        var parameters = query ?? self.query()
        for (name, value) in form { parameters.append(name, value) }
        return await endpoint.respond(
            to: EndpointRequest(
                method: .post, tenantDomain: "acme.com", query: .init(), form: parameters,
                cookies: cookie.map { [BrowserCookie.name(secure: false): $0.value] } ?? [:]),
            logger: Logger(label: "test"))
    }

    /// Signs alice in through the page and consents (unless she did before: the browser then goes straight back);
    /// the code the browser is sent back with, and its cookie.
    func authorize(_ query: TokenRequestParameters? = nil) async throws -> (code: String, cookie: BrowserCookie) {
        let page = await get(query ?? self.query())
        let cookie = try #require(Self.cookie(page))
        let signedIn = await post(
            ["csrf": cookie.csrfToken, "action": "sign_in", "username": "alice", "password": "pw"], cookie: cookie,
            query: query)
        let session = try #require(Self.cookie(signedIn), "signing in replaces the cookie")
        #expect(session != cookie)
        var answer = signedIn
        if signedIn.status == 200 {
            answer = await post(["csrf": session.csrfToken, "action": "approve"], cookie: session, query: query)
        }
        #expect(answer.status == 303, "\(answer.body)")
        let location = try #require(Self.location(answer))
        return (try #require(location.query["code"]), session)
    }

    static func cookie(_ response: EndpointResponse) -> BrowserCookie? {
        guard let header = response.headers.first(where: { $0.name == "Set-Cookie" })?.value,
            let value = header.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last
        else { return nil }
        return BrowserCookie(value: String(value))
    }

    static func location(_ response: EndpointResponse) -> (uri: String, query: [String: String])? {
        guard let location = response.headers.first(where: { $0.name == "Location" })?.value,
            let url = URLComponents(string: location)
        else { return nil }
        var query: [String: String] = [:]
        for item in url.queryItems ?? [] { query[item.name] = item.value }
        return (location, query)
    }

    // MARK: the client's side

    func exchange(
        _ code: String, verifier: String = verifier, redirect: String? = "http://127.0.0.1:53682/callback",
        client: ClientApplication? = nil, resources: [String] = []
    ) async throws -> TokenResponse {
        var form = TokenRequestParameters(["code": code, "code_verifier": verifier])
        if let redirect { form.append("redirect_uri", redirect) }
        for resource in resources { form.append("resource", resource) }
        return try await grant.handle(
            try grant.parse(form),
            context: GrantContext(
                tenant: Fixtures.tenant(), client: client ?? self.client, logger: Logger(label: "test")))
    }

    func refused(_ body: () async throws -> TokenResponse) async -> OAuthError? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error as? OAuthError
        }
    }

    // MARK: errors shown, never redirected

    @Test(
        "before the client and redirect URI are known good, errors are a page, never a redirect",
        arguments: [
            ["redirect_uri": "https://evil.example/cb"], ["redirect_uri": "http://127.0.0.1/other"],
            ["client_id": "unknownClient00000000000000"], ["client_id": nil],
            ["redirect_uri": "https://agent.example/cb/"],
        ] as [[String: String?]])
    func shownNotRedirected(_ changes: [String: String?]) async {
        let answer = await get(query(changes))
        #expect(answer.status == 400)
        #expect(Self.location(answer) == nil)
        #expect(
            answer.headers.contains {
                $0.name == "Content-Security-Policy" && $0.value.contains("frame-ancestors 'none'")
            })
    }

    // MARK: errors sent back with state and iss

    @Test(
        "later errors go back to the client with error, state and iss",
        arguments: [
            (["code_challenge": nil], "invalid_request"),
            (["code_challenge_method": "plain"], "invalid_request"),
            (["code_challenge_method": nil], "invalid_request"),
            (["code_challenge": "short"], "invalid_request"),
            (["response_type": "token"], "unsupported_response_type"),
            (["scope": "admin"], "invalid_scope"),
            (["resource": "https://other.example"], "invalid_target"),
            (["resource": "not a uri"], "invalid_target"),
        ] as [([String: String?], String)])
    func redirectedErrors(_ changes: [String: String?], _ error: String) async throws {
        let answer = await get(query(changes))
        #expect(answer.status == 302)
        let location = try #require(Self.location(answer))
        #expect(location.uri.hasPrefix("http://127.0.0.1:53682/callback?"))
        #expect(location.query["error"] == error)
        #expect(location.query["state"] == "xyz" && location.query["iss"] == Self.issuer)
    }

    // MARK: sign-in, CSRF, consent

    @Test("the sign-in page: a fresh HttpOnly SameSite=Lax cookie, labelled fields, the client's name escaped")
    func signInPage() async throws {
        let page = await get(query())
        #expect(page.status == 200)
        let setCookie = try #require(page.headers.first { $0.name == "Set-Cookie" }?.value)
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && !setCookie.contains("Secure"))
        #expect(page.body.contains("<label for=\"username\">") && page.body.contains("<label for=\"password\">"))
        #expect(page.body.contains("Agent &lt;b&gt;") && !page.body.contains("Agent <b>"))
        let policy = try #require(page.headers.first { $0.name == "Content-Security-Policy" }?.value)
        #expect(policy.contains("form-action 'self' http://127.0.0.1:53682"))
        #expect(!policy.contains("unsafe-inline") && policy.contains("default-src 'none'"))
    }

    @Test("a form without this browser's CSRF token is refused (403) and signs no one in")
    func csrfRefused() async throws {
        let cookie = try #require(Self.cookie(await get(query())))
        let other = BrowserCookie.generate()
        for csrf in [nil, "", other.csrfToken] as [String?] {
            var form = ["action": "sign_in", "username": "alice", "password": "pw"]
            form["csrf"] = csrf
            let answer = await post(form, cookie: cookie)
            #expect(answer.status == 403)
        }
        // Without the cookie, even the right token is worth nothing.
        #expect(await post(["action": "sign_in", "csrf": cookie.csrfToken], cookie: nil).status == 403)
        #expect(sessions.count == 0)
    }

    @Test("a wrong password shows the page again (401) with one message for every failure")
    func wrongPassword() async throws {
        let cookie = try #require(Self.cookie(await get(query())))
        for (username, password) in [("alice", "nope"), ("nobody", "pw")] {
            let answer = await post(
                ["csrf": cookie.csrfToken, "action": "sign_in", "username": username, "password": password],
                cookie: cookie)
            #expect(answer.status == 401 && answer.body.contains("The username or password is incorrect."))
        }
        #expect(sessions.count == 0)
    }

    @Test("approving sends a code with state and iss; the consent is remembered, then revoked")
    func consentRemembered() async throws {
        let (_, session) = try await authorize()
        // The same request again: no page, straight back with a code.
        let again = await get(query(), cookie: session)
        #expect(again.status == 302)
        let location = try #require(Self.location(again))
        #expect(location.query["code"] != nil && location.query["iss"] == Self.issuer)
        // Asking for more than was consented to asks again.
        #expect(await get(query(["scope": "mcp:tools profile"]), cookie: session).status == 200)
        #expect(try await consents.revoke(tenantID: 1, userID: 7, applicationID: client.id))
        let asked = await get(query(), cookie: session)
        #expect(asked.status == 200 && asked.body.contains("Allow"))
    }

    @Test("denying sends access_denied back, with state and iss, and no code")
    func denied() async throws {
        let cookie = try #require(Self.cookie(await get(query())))
        let consent = await post(
            ["csrf": cookie.csrfToken, "action": "sign_in", "username": "alice", "password": "pw"], cookie: cookie)
        let session = try #require(Self.cookie(consent))
        let answer = await post(["csrf": session.csrfToken, "action": "deny"], cookie: session)
        let location = try #require(Self.location(answer))
        #expect(location.query["error"] == "access_denied" && location.query["code"] == nil)
        #expect(location.query["state"] == "xyz" && location.query["iss"] == Self.issuer)
        #expect(codes.count == 0)
    }

    // MARK: the token request

    @Test("the code with its verifier gets tokens for the user, the consented scope and resource")
    func exchangeCode() async throws {
        let (code, _) = try await authorize()
        let response = try await exchange(code)
        #expect(response.scope == ScopeSet(["mcp:tools"]))
        #expect(response.accessToken.hasPrefix("tsr_at_"))
    }

    @Test("a wrong verifier is refused and spends the code; so do another redirect URI and another client")
    func codeBindings() async throws {
        let wrongVerifier = try await authorize().code
        #expect(
            await refused { try await exchange(wrongVerifier, verifier: String(repeating: "w", count: 50)) }?.code
                == .invalidGrant)
        #expect(await refused { try await exchange(wrongVerifier) }?.code == .invalidGrant, "spent by the failure")

        let wrongRedirect = try await authorize().code
        #expect(
            await refused { try await exchange(wrongRedirect, redirect: "https://agent.example/cb") }?.code
                == .invalidGrant)
        let missingRedirect = try await authorize().code
        #expect(await refused { try await exchange(missingRedirect, redirect: nil) }?.code == .invalidGrant)

        let otherClient = Fixtures.application(
            id: 2, consumerKey: "otherClient00000000000000000", grantTypes: ["authorization_code"],
            authentication: .publicClient, redirectURIs: [Self.redirect])
        let stolen = try await authorize().code
        #expect(await refused { try await exchange(stolen, client: otherClient) }?.code == .invalidGrant)
    }

    @Test("a code lives 60 seconds")
    func codeExpiry() async throws {
        let late = try await authorize().code
        clock.advance(by: 61)
        #expect(await refused { try await exchange(late) }?.code == .invalidGrant)
        let inTime = try await authorize().code
        clock.advance(by: 59)
        _ = try await exchange(inTime)
    }

    @Test("a second use of a code is refused and revokes the tokens the first use got")
    func replayRevokes() async throws {
        let (code, _) = try await authorize()
        let first = try await exchange(code)
        #expect(await refused { try await exchange(code) }?.code == .invalidGrant)
        let revoked = ledger.revoked
        #expect(revoked.map(\.hash) == [TokenHash(of: first.accessToken)])
    }

    @Test("the token request may narrow the consented resources, never widen them")
    func resourcesNarrowOnly() async throws {
        let narrowed = try await authorize().code
        _ = try await exchange(narrowed, resources: ["https://mcp.acme.com"])
        let widened = try await authorize().code
        #expect(
            await refused { try await exchange(widened, resources: ["https://other.example"]) }?.code == .invalidTarget)
    }

    @Test("a PKCE verifier is required at the token endpoint")
    func verifierRequired() throws {
        #expect(throws: OAuthError.self) { try grant.parse(TokenRequestParameters(["code": "x"])) }
    }
}

/// A token ledger that records revocations and knows nothing else.
final class RevocationLedger: TokenLedger {
    private let revocations = Mutex([TokenReference]())

    var revoked: [TokenReference] { revocations.withLock { $0 } }

    func activeToken(_ reference: TokenReference, tenantID: Tenant.ID, at now: Date) async throws -> ActiveToken? {
        nil
    }

    func revoke(_ reference: TokenReference, tenantID: Tenant.ID, applicationID: ClientApplication.ID, at now: Date)
        async throws
    {
        revocations.withLock { $0.append(reference) }
    }

    func refreshToken(_ reference: TokenReference, tenantID: Tenant.ID, at now: Date) async throws
        -> RefreshTokenState?
    { nil }

    func rotate(
        _ presented: TokenReference, family: RefreshTokenState.FamilyID, accessToken: IssuedToken,
        refreshToken: IssuedRefreshToken
    ) async throws -> Bool { false }

    func revokeFamily(_ family: RefreshTokenState.FamilyID, tenantID: Tenant.ID, at now: Date) async throws {}
}
