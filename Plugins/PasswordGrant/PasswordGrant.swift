import Logging
import TesseraCore

/// The resource owner password credentials grant (RFC 6749 §4.3): an application trades a user's username and
/// password, plus its own credentials, for a token that speaks for the user.
///
/// The sign-in is `UserSignIn`'s: one answer for unknown user, wrong password and disabled user, in about the same
/// time; repeated failures for one username are throttled (429 with `Retry-After`).
public struct PasswordGrant: GrantHandler {
    public static let grantType: GrantType = "password"
    public static let parameters: Set<String> = ["username", "password", "scope", "validity_period", "resource"]
    public static let repeatableParameters: Set<String> = ["resource"]

    /// The grant that makes the password grant hand out refresh tokens, when the application is allowed it.
    public static let refreshTokenGrantType: GrantType = "refresh_token"

    public struct Request: Sendable {
        let username: String
        let password: String
        let scope: String?
        let validityPeriod: String?
        let resources: [String]
    }

    private let issuer: TokenIssuer
    private let signIn: UserSignIn

    public init(issuer: TokenIssuer, signIn: UserSignIn) {
        self.issuer = issuer
        self.signIn = signIn
    }

    /// §4.3.2: `username` and `password` are required.
    public func parse(_ form: TokenRequestParameters) throws(OAuthError) -> Request {
        guard let username = form["username"], let password = form["password"] else {
            throw .invalidRequest("the username and password parameters are required")
        }
        // A username no user can have (usernames are made without control characters) is refused before any
        // lookup: a NUL would make the query fail.
        guard UserSignIn.isPlausible(username: username, password: password) else { throw Self.refused }
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

        let user: User
        do {
            user = try await signIn.signIn(
                tenantID: context.tenant.id, username: request.username, password: request.password,
                logger: context.logger)
        } catch UserSignIn.Refusal.throttled(let wait) {
            throw OAuthError(.slowDown, "too many failed sign-ins; try again later", retryAfter: wait)
        } catch is UserSignIn.Refusal {
            throw Self.refused
        }
        // RFC 6749 §4.3.3: a refresh token comes along when the application may use one.
        return try await issuer.issue(
            for: client, in: context.tenant, subject: .user(username: user.username), scopes: scopes,
            audience: audience, lifetime: lifetime, grantType: Self.grantType, userID: user.id, registersUser: true,
            refreshable: client.grantTypes.contains(Self.refreshTokenGrantType))
    }

    /// One answer for every failed sign-in, so that it tells nothing about which part was wrong.
    static let refused = OAuthError(.invalidGrant, "the username or password is incorrect")
}

extension PasswordGrant: InstallableGrant {
    public init(parts: ServerParts) throws {
        self.init(issuer: try parts.require(), signIn: try parts.require())
    }
}
