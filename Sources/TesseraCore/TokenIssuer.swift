import Foundation

/// Makes an access token, stores its hash, and builds the response. The one place tokens are born.
public struct TokenIssuer: Sendable {
    private let store: any TokenStore
    private let now: @Sendable () -> Date

    public init(store: any TokenStore, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.now = now
    }

    /// Issues a bearer token for `client`, valid for `lifetime` seconds, and returns once it is stored.
    public func issue(
        for client: ClientApplication, subject: String, scopes: ScopeSet, lifetime: Int, grantType: GrantType,
        userID: User.ID? = nil
    ) async throws -> TokenResponse {
        let token = CredentialGenerator.accessToken()
        let issuedAt = now()
        try await store.store(
            IssuedToken(
                hash: AccessTokenHash(of: token), tenantID: client.tenantID, applicationID: client.id,
                subject: subject, scopes: scopes, grantType: grantType, issuedAt: issuedAt,
                expiresAt: issuedAt.addingTimeInterval(TimeInterval(lifetime)), userID: userID
            )
        )
        return TokenResponse(accessToken: token, expiresIn: lifetime, scope: scopes)
    }
}
