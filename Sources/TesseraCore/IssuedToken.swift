import Foundation

/// An access token as it is stored: everything about it but the token itself.
public struct IssuedToken: Sendable, Hashable {
    public let hash: TokenHash
    public let tenantID: Tenant.ID
    public let applicationID: ClientApplication.ID
    /// Who the token speaks for: the consumer key for client credentials, the user for the password grant.
    public let subject: String
    public let scopes: ScopeSet
    public let grantType: GrantType
    public let issuedAt: Date
    public let expiresAt: Date
    /// The end user, for tokens a user signed in for (the password grant); nil for client credentials.
    public let userID: User.ID?
    /// Whether the token is a sign-in that registers its user with the application, for the registered-users
    /// statistics: the grant says so (the password grant's tokens do; a refreshed token continues a sign-in).
    public let registersUser: Bool
    /// The resources the token is for (RFC 8707): its `aud`. Empty when the application has none.
    public let audience: [String]

    public init(
        hash: TokenHash, tenantID: Tenant.ID, applicationID: ClientApplication.ID, subject: String,
        scopes: ScopeSet, grantType: GrantType, issuedAt: Date, expiresAt: Date, userID: User.ID? = nil,
        registersUser: Bool = false, audience: [String] = []
    ) {
        self.audience = audience
        self.hash = hash
        self.tenantID = tenantID
        self.applicationID = applicationID
        self.subject = subject
        self.scopes = scopes
        self.grantType = grantType
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.userID = userID
        self.registersUser = registersUser && userID != nil
    }
}
