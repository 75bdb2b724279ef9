import Foundation

/// What the server knows about tokens after issuing them: whether one is active, revocation, and the
/// rotation of refresh tokens. Every answer comes from the database, so that a revocation through one
/// server instance holds on all of them at once.
public protocol TokenLedger: Sendable {
    /// The token if it is active at `now`: known, not expired, not revoked (itself, its family, or by an
    /// administrator's revocation of its application or user), its family (if any) known, and its application
    /// and user enabled.
    func activeToken(_ reference: TokenReference, tenantID: Tenant.ID, at now: Date) async throws -> ActiveToken?

    /// Revokes the token if it belongs to `applicationID`; a refresh token takes its whole family along
    /// (RFC 7009 §2.1). Unknown tokens and other applications' tokens are left as they are.
    func revoke(
        _ reference: TokenReference, tenantID: Tenant.ID, applicationID: ClientApplication.ID, at now: Date
    ) async throws

    /// The refresh token's state as the refresh grant needs it, whether used or not; nil when unknown.
    func refreshToken(_ reference: TokenReference, tenantID: Tenant.ID, at now: Date) async throws
        -> RefreshTokenState?

    /// Marks `presented` used and stores its successors in its family, in one transaction. Returns false,
    /// having revoked the family, when the token was used meanwhile (a replay racing the rightful use).
    func rotate(
        _ presented: TokenReference, family: RefreshTokenState.FamilyID, accessToken: IssuedToken,
        refreshToken: IssuedRefreshToken
    ) async throws -> Bool

    /// Revokes a refresh family: its refresh tokens and every access token issued in it.
    func revokeFamily(_ family: RefreshTokenState.FamilyID, tenantID: Tenant.ID, at now: Date) async throws
}

/// An active token, as introspection reports it (RFC 7662 §2.2).
public struct ActiveToken: Sendable, Equatable {
    public let kind: TokenReference.Kind
    public let applicationID: ClientApplication.ID
    public let consumerKey: String
    /// The signed-in user's name; nil for client credentials.
    public let username: String?
    public let subject: String
    public let scopes: ScopeSet
    public let issuedAt: Date
    public let expiresAt: Date
    /// The resources the token is for; empty when it was issued for none.
    public let audience: [String]

    public init(
        kind: TokenReference.Kind, applicationID: ClientApplication.ID, consumerKey: String, username: String?,
        subject: String, scopes: ScopeSet, issuedAt: Date, expiresAt: Date, audience: [String] = []
    ) {
        self.audience = audience
        self.kind = kind
        self.applicationID = applicationID
        self.consumerKey = consumerKey
        self.username = username
        self.subject = subject
        self.scopes = scopes
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }
}

/// A stored refresh token as the refresh grant sees it.
public struct RefreshTokenState: Sendable, Equatable {
    public typealias FamilyID = Int64
    public let family: FamilyID
    public let applicationID: ClientApplication.ID
    public let userID: User.ID?
    public let subject: String
    public let scopes: ScopeSet
    /// The resources granted to the family.
    public let audience: [String]
    /// Exchanged already: presenting it again is a replay.
    public let used: Bool
    /// Unexpired and not revoked, with its application and user enabled (as `TokenLedger.activeToken`).
    public let active: Bool

    public init(
        family: FamilyID, applicationID: ClientApplication.ID, userID: User.ID?, subject: String, scopes: ScopeSet,
        used: Bool, active: Bool, audience: [String] = []
    ) {
        self.audience = audience
        self.family = family
        self.applicationID = applicationID
        self.userID = userID
        self.subject = subject
        self.scopes = scopes
        self.used = used
        self.active = active
    }
}
