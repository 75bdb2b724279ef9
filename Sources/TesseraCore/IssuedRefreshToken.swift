import Foundation

/// A refresh token as it is stored: everything about it but the token itself. It belongs to a family, the
/// chain of refresh tokens one sign-in started; the store assigns the family when it starts one.
public struct IssuedRefreshToken: Sendable, Hashable {
    public let hash: TokenHash
    public let tenantID: Tenant.ID
    public let applicationID: ClientApplication.ID
    public let userID: User.ID?
    public let subject: String
    public let scopes: ScopeSet
    /// The resources granted to the family: a refresh may ask for fewer, never more.
    public let audience: [String]
    public let issuedAt: Date
    public let expiresAt: Date

    public init(
        hash: TokenHash, tenantID: Tenant.ID, applicationID: ClientApplication.ID, userID: User.ID?, subject: String,
        scopes: ScopeSet, issuedAt: Date, expiresAt: Date, audience: [String] = []
    ) {
        self.audience = audience
        self.hash = hash
        self.tenantID = tenantID
        self.applicationID = applicationID
        self.userID = userID
        self.subject = subject
        self.scopes = scopes
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }
}
