import Foundation

/// Makes tokens, stores their hashes, and builds the response. The one place tokens are born.
public struct TokenIssuer: Sendable {
    private let store: any TokenStore
    private let reusable: ReusableTokens?
    /// Writes the access tokens of applications whose format is `jwt`; without it (no server key to seal signing
    /// keys) they get `temporarily_unavailable`.
    private let jwt: (any AccessTokenFormat)?
    /// The clock tokens are issued and judged by: the server's `DatabaseClock`, so that `issued_at` and the
    /// revocation watermarks operators set come from one clock. Grants that judge tokens read it here.
    public let now: @Sendable () -> Date

    /// - Parameters:
    ///   - reusable: token reuse for applications that ask for it; without it they get new tokens.
    ///   - jwt: the format of applications that ask for JWT access tokens.
    public init(
        store: any TokenStore, reusable: ReusableTokens? = nil, jwt: (any AccessTokenFormat)? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.reusable = reusable
        self.jwt = jwt
        self.now = now
    }

    /// Issues a bearer token for `client` of `tenant` that speaks for `subject` to the resources in `audience`, valid
    /// for `lifetime` seconds (a reused one has at most that left), and returns once it is stored.
    /// With `refreshable`, a refresh token that starts a new family comes with it (RFC 6749 §5.1). With
    /// `registersUser`, the token counts as `userID`'s sign-in to `client` in the registered-users statistics.
    public func issue(
        for client: ClientApplication, in tenant: Tenant, subject: TokenSubject, scopes: ScopeSet,
        audience: [String] = [], lifetime: Int, grantType: GrantType, userID: User.ID? = nil,
        registersUser: Bool = false, refreshable: Bool = false
    ) async throws -> TokenResponse {
        let grant = Grant(
            client: client, tenant: tenant, subject: subject, scopes: scopes, audience: audience, grantType: grantType,
            userID: userID, registersUser: registersUser)
        if !refreshable, client.tokenReuse == .active, let reusable {
            return try await reuse(reusable, grant, lifetime: lifetime)
        }
        let issuedAt = now()
        let (token, accessToken) = try await self.accessToken(grant, lifetime: lifetime, issuedAt: issuedAt)
        guard refreshable else {
            try await store.store(accessToken)
            return TokenResponse(accessToken: token, expiresIn: lifetime, scope: scopes)
        }
        let (refresh, refreshToken) = Self.refreshToken(
            for: client, subject: subject.name, scopes: scopes, audience: audience, userID: userID,
            issuedAt: issuedAt)
        try await store.store(accessToken, startingFamilyWith: refreshToken)
        return TokenResponse(
            accessToken: token, expiresIn: lifetime, scope: scopes, additionalFields: ["refresh_token": refresh])
    }

    /// Exchanges the refresh token `presented` for a new access token and its successor in the same family
    /// (RFC 6749 §6, rotation as in RFC 9700 §4.14.2). Nil when the token was used meanwhile: the ledger has
    /// then revoked the family.
    public func rotate(
        _ presented: TokenReference, state: RefreshTokenState, for client: ClientApplication, in tenant: Tenant,
        scopes: ScopeSet, audience: [String], grantType: GrantType, ledger: any TokenLedger
    ) async throws -> TokenResponse? {
        let issuedAt = now()
        let lifetime = client.defaultTokenValidity
        let subject: TokenSubject =
            state.userID == nil ? .client(consumerKey: state.subject) : .user(username: state.subject)
        let (token, accessToken) = try await self.accessToken(
            Grant(
                client: client, tenant: tenant, subject: subject, scopes: scopes, audience: audience,
                grantType: grantType, userID: state.userID, registersUser: false),
            lifetime: lifetime, issuedAt: issuedAt)
        // The successor keeps the family's scopes and resources, so that a narrowed access token does not narrow
        // later ones.
        let (refresh, refreshToken) = Self.refreshToken(
            for: client, subject: state.subject, scopes: state.scopes, audience: state.audience, userID: state.userID,
            issuedAt: issuedAt)
        guard
            try await ledger.rotate(
                presented, family: state.family, accessToken: accessToken, refreshToken: refreshToken)
        else { return nil }
        return TokenResponse(
            accessToken: token, expiresIn: lifetime, scope: scopes, additionalFields: ["refresh_token": refresh])
    }

    /// The live token of the same application, subject and scopes that `ReuseRule` allows for `lifetime`, or a new
    /// one that becomes the one to reuse. Racing requests (on any instance) claim the same row; the losers read the
    /// winner's token, so a burst makes one token. After three lost races the request gets a token of its own.
    private func reuse(_ reusable: ReusableTokens, _ grant: Grant, lifetime: Int) async throws -> TokenResponse {
        let client = grant.client
        let scopes = grant.scopes
        let key = ReuseKey(
            tenantID: client.tenantID, applicationID: client.id, subject: grant.subject, scopes: scopes,
            audience: grant.audience)
        for _ in 0..<3 {
            var seen: Date?
            let found = try await reusable.store.current(key, at: now())
            // Read after the store answers: a token another request stored while this one waited was issued before
            // now, so its remaining lifetime is never judged longer than it is (which would replace it: two tokens).
            let issuedAt = now()
            switch found {
            case .live(let sealed, let sealedAt, let expiresAt):
                let remaining = expiresAt.timeIntervalSince(issuedAt)
                // A token the rule refuses, or sealed under another key (the servers' key was changed), is replaced.
                if ReuseRule.allows(
                    remaining: remaining, lifetime: lifetime, minimumRemaining: client.reuseMinRemaining),
                    let token = reusable.sealer.open(sealed, for: key)
                {
                    return TokenResponse(
                        accessToken: token, expiresIn: Int(remaining.rounded(.down)), scope: scopes)
                }
                seen = sealedAt
            case .replaceable(let row):
                seen = row
            }
            let (token, accessToken) = try await self.accessToken(grant, lifetime: lifetime, issuedAt: issuedAt)
            let sealed = try reusable.sealer.seal(token, for: key)
            if try await reusable.store.claim(key, replacing: seen, token: accessToken, sealed: sealed) {
                return TokenResponse(accessToken: token, expiresIn: lifetime, scope: scopes)
            }
        }
        let issuedAt = now()
        let (token, accessToken) = try await self.accessToken(grant, lifetime: lifetime, issuedAt: issuedAt)
        try await store.store(accessToken)
        return TokenResponse(accessToken: token, expiresIn: lifetime, scope: scopes)
    }

    /// A new access token in the application's format, and what is stored of it.
    private func accessToken(_ grant: Grant, lifetime: Int, issuedAt: Date) async throws -> (String, IssuedToken) {
        let client = grant.client
        let expiresAt = issuedAt.addingTimeInterval(TimeInterval(lifetime))
        let token: String
        switch client.tokenFormat {
        case .opaque: token = TokenReference.generate(.access, expiresAt: expiresAt)
        case .jwt:
            guard let jwt else {
                throw OAuthError.temporarilyUnavailable(detail: "JWT access tokens need a server key (TESSERA_KEY)")
            }
            token = try await jwt.write(
                AccessTokenClaims(
                    tenant: grant.tenant, client: client, subject: grant.subject, userID: grant.userID,
                    audience: grant.audience, scopes: grant.scopes, issuedAt: issuedAt, expiresAt: expiresAt))
        }
        let issued = IssuedToken(
            hash: TokenHash(of: token), tenantID: client.tenantID, applicationID: client.id,
            subject: grant.subject.name, scopes: grant.scopes, grantType: grant.grantType, issuedAt: issuedAt,
            expiresAt: expiresAt,
            userID: grant.userID, registersUser: grant.registersUser, audience: grant.audience)
        return (token, issued)
    }

    private static func refreshToken(
        for client: ClientApplication, subject: String, scopes: ScopeSet, audience: [String], userID: User.ID?,
        issuedAt: Date
    ) -> (String, IssuedRefreshToken) {
        let expiresAt = issuedAt.addingTimeInterval(TimeInterval(client.refreshTokenValidity))
        let token = TokenReference.generate(.refresh, expiresAt: expiresAt)
        let issued = IssuedRefreshToken(
            hash: TokenHash(of: token), tenantID: client.tenantID, applicationID: client.id, userID: userID,
            subject: subject, scopes: scopes, issuedAt: issuedAt, expiresAt: expiresAt, audience: audience)
        return (token, issued)
    }
}

/// What one grant decided a token says.
private struct Grant {
    let client: ClientApplication
    let tenant: Tenant
    let subject: TokenSubject
    let scopes: ScopeSet
    let audience: [String]
    let grantType: GrantType
    /// The user the token speaks for, if any, and whether the token registers them (see `IssuedToken`).
    let userID: User.ID?
    let registersUser: Bool
}
