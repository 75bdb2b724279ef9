import Foundation

/// Where the sign-in sessions of tenant users' browsers are kept, by the hash of the cookie's value: a copy of the
/// table signs no one in. The sign-in pages of the authorization endpoint start them; the console will share them.
public protocol BrowserSessionStore: Sendable {
    func start(_ session: TokenHash, tenantID: Tenant.ID, userID: User.ID, expiresAt: Date) async throws
    /// The user of the session if it is unexpired at `now` and the user enabled; nil otherwise.
    func user(session: TokenHash, tenantID: Tenant.ID, at now: Date) async throws -> User?
    /// Ends the session (sign-out); an unknown session is left alone.
    func end(_ session: TokenHash, tenantID: Tenant.ID) async throws
}
