import Foundation

/// What an access token says, whatever it is written as.
public struct AccessTokenClaims: Sendable {
    public let tenant: Tenant
    public let client: ClientApplication
    public let subject: TokenSubject
    /// The end user the token speaks for, if any (the password grant).
    public let userID: User.ID?
    /// The resources (RFC 8707) the token is for: its `aud`.
    public let audience: [String]
    public let scopes: ScopeSet
    public let issuedAt: Date
    public let expiresAt: Date
}

/// How access tokens are written: the seam between `TokenIssuer`, which decides what a token says and stores its
/// hash, and the text handed to the client. Opaque references (`TokenReference`) are written by the issuer itself,
/// on the hot path without a call through here; JWTs (RFC 9068) by `JWTAccessTokenFormat`.
public protocol AccessTokenFormat: Sendable {
    func write(_ claims: AccessTokenClaims) async throws -> String
}

extension ClientApplication {
    /// How an application's access tokens are written. Refresh tokens are opaque whatever the format.
    public enum TokenFormat: String, Sendable, Hashable, CaseIterable {
        /// A random reference (`tsr_at_...`): only introspection says what it means.
        case opaque
        /// A signed JWT (RFC 9068) that resource servers verify against the tenant's key set.
        case jwt
    }
}
