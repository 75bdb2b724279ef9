import Foundation

/// What `private_key_jwt` needs beyond the client's keys: the audiences an assertion may name, the ledger of
/// assertion ids already used, which every server instance shares, and the key sets clients publish at a URL
/// (without it, a client with a `jwks_uri` cannot authenticate).
public struct ClientAssertionCheck: Sendable {
    let issuer: IssuerURL
    let ledger: any ClientAssertionLedger
    let published: (any PublishedKeySets)?

    public init(issuer: IssuerURL, ledger: any ClientAssertionLedger, published: (any PublishedKeySets)? = nil) {
        self.issuer = issuer
        self.ledger = ledger
        self.published = published
    }

    /// The tenant's issuer identifier and its token endpoint's URL. RFC 7523 §3 lets `aud` be either; nothing else
    /// is accepted (not the introspection or revocation URL either), so that an assertion a client made for another
    /// server, or for another of our tenants, never authenticates it here.
    func audiences(for tenant: Tenant) -> Set<String> {
        let issuer = issuer.url(for: tenant)
        return [issuer, issuer + "/token"]
    }
}

/// The `jti`s of accepted client assertions, kept until the assertion has expired: an assertion is single-use on
/// every server instance (RFC 7523 §3 item 7).
public protocol ClientAssertionLedger: Sendable {
    /// Records the assertion id `idHash` (SHA-256 of its `jti`) for the application until `expiresAt`; false when it
    /// was recorded already, which is a replay.
    func use(_ idHash: [UInt8], tenantID: Tenant.ID, applicationID: ClientApplication.ID, until expiresAt: Date)
        async throws -> Bool
}
