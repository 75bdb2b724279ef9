import Logging
import TesseraCore

/// The resource owner password credentials grant (RFC 6749 §4.3): an application trades a user's username and
/// password, plus its own credentials, for a token that speaks for the user.
///
/// Unknown user, wrong password and disabled user get one answer, in about the same time (a dummy hash is
/// checked when there is no user). Repeated failures for one username are throttled (429 with `Retry-After`).
public struct PasswordGrant: GrantHandler {
    public static let grantType: GrantType = "password"
    public static let parameters: Set<String> = ["username", "password", "scope", "validity_period", "resource"]
    public static let repeatableParameters: Set<String> = ["resource"]

    /// The grant that makes the password grant hand out refresh tokens, when the application is allowed it.
    public static let refreshTokenGrantType: GrantType = "refresh_token"

    /// The longest password read; bcrypt itself reads 72 bytes.
    public static let maximumPasswordLength = 1024

    public struct Request: Sendable {
        let username: String
        let password: String
        let scope: String?
        let validityPeriod: String?
        let resources: [String]
    }

    private let issuer: TokenIssuer
    private let users: any UserDirectory
    private let passwords: any PasswordHasher
    private let throttle: LoginThrottle

    public init(issuer: TokenIssuer, users: any UserDirectory, passwords: any PasswordHasher, throttle: LoginThrottle) {
        self.issuer = issuer
        self.users = users
        self.passwords = passwords
        self.throttle = throttle
    }

    /// §4.3.2: `username` and `password` are required.
    public func parse(_ form: TokenRequestParameters) throws(OAuthError) -> Request {
        guard let username = form["username"], let password = form["password"] else {
            throw .invalidRequest("the username and password parameters are required")
        }
        // A username no user can have (usernames are made without control characters) is refused before any
        // lookup: a NUL would make the query fail.
        guard username.count <= User.maximumUsernameLength, !username.hasControlCharacters,
            password.utf8.count <= Self.maximumPasswordLength
        else {
            throw Self.refused
        }
        return Request(
            username: username, password: password, scope: form["scope"], validityPeriod: form["validity_period"],
            resources: form.all("resource"))
    }

    public func handle(_ request: Request, context: GrantContext) async throws -> TokenResponse {
        let client = try context.requireClient()
        // Cheap checks first: a bad scope or lifetime never costs a password hash.
        let scopes = try client.grantedScopes(requested: request.scope)
        let audience = try client.grantedAudience(requested: request.resources)
        let lifetime = try client.tokenLifetime(validityPeriod: request.validityPeriod)

        let key = LoginThrottleKey(tenantID: context.tenant.id, username: request.username)
        if let wait = throttle.retryAfter(key) {
            throw OAuthError(.slowDown, "too many failed sign-ins; try again later", retryAfter: wait)
        }
        // §4.3.2: the server MUST protect the endpoint against brute force attacks.
        let user = try await users.user(tenantID: context.tenant.id, username: request.username)
        let verification = try await passwords.verify(
            request.password, against: user?.passwordHash ?? passwords.dummyHash)
        guard let user, user.enabled, verification != .mismatch else {
            throttle.recordFailure(key)
            throw Self.refused
        }
        throttle.recordSuccess(key)
        if verification == .matchNeedsRehash {
            await upgradeHash(of: user, password: request.password, context: context)
        }
        // RFC 6749 §4.3.3: a refresh token comes along when the application may use one.
        return try await issuer.issue(
            for: client, in: context.tenant, subject: .user(username: user.username), scopes: scopes,
            audience: audience, lifetime: lifetime, grantType: Self.grantType, userID: user.id, registersUser: true,
            refreshable: client.grantTypes.contains(Self.refreshTokenGrantType))
    }

    /// One answer for every failed sign-in, so that it tells nothing about which part was wrong.
    static let refused = OAuthError(.invalidGrant, "the username or password is incorrect")

    /// A hash made at an older cost is replaced after a successful sign-in; failing to do so is not the user's problem.
    private func upgradeHash(of user: User, password: String, context: GrantContext) async {
        do {
            let hash = try await passwords.hash(password)
            try await users.updatePasswordHash(tenantID: user.tenantID, userID: user.id, hash: hash)
        } catch {
            context.logger.warning("password hash upgrade failed", metadata: ["error": "\(error)"])
        }
    }
}

extension PasswordGrant: InstallableGrant {
    public init(parts: ServerParts) throws {
        self.init(
            issuer: try parts.require(), users: try parts.require(), passwords: try parts.require(),
            throttle: try parts.require())
    }
}
