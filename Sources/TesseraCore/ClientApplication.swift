import Foundation

/// An OAuth client of a tenant: WSO2 calls it an application, identified by its consumer key.
public struct ClientApplication: Sendable, Hashable {
    public typealias ID = Int64
    public let tenantID: Tenant.ID
    public let id: ID
    public let consumerKey: String
    public let secretHash: SecretHash
    /// The secret a rotation with a grace period replaced, still accepted until it expires.
    public let previousSecret: PreviousSecret?
    public let name: String
    public let grantTypes: Set<GrantType>
    public let allowedScopes: ScopeSet
    public let defaultScopes: ScopeSet
    /// Lifetime of a token when the request has no `validity_period`, in seconds.
    public let defaultTokenValidity: Int
    /// Largest `validity_period` the application may ask for, in seconds.
    public let maxTokenValidity: Int
    public let enabled: Bool
    /// Lifetime of each refresh token, in seconds; every rotation starts a new one.
    public let refreshTokenValidity: Int
    /// A resource server: may introspect every token of its tenant, not only its own.
    public let introspectAny: Bool

    /// Whether a request may get back a live token of the same application, subject and scopes.
    public enum TokenReuse: String, Sendable, Hashable, CaseIterable {
        case never
        case active
    }

    public let tokenReuse: TokenReuse
    /// How the client may authenticate, one bit per method: a set would add a reference count to every copy of the
    /// application on the token path, for a value read once per request.
    private let methodBits: UInt8
    /// How the client may authenticate; a request using another method is `invalid_client`.
    public var authenticationMethods: Set<ClientAuthenticationMethod> {
        Set(ClientAuthenticationMethod.allCases.filter(allows))
    }
    /// The public keys its `private_key_jwt` assertions are signed with; nil when none are registered.
    public let clientKeys: ClientKeySet?
    /// Where the client publishes those keys instead (`jwks_uri`), fetched through `PublishedKeySets`.
    public let clientKeysURL: String?
    /// With reuse, a token with fewer seconds left is not handed out again: a new one is issued.
    public let reuseMinRemaining: Int
    /// How its access tokens are written.
    public let tokenFormat: TokenFormat
    /// The resources (RFC 8707) its tokens may be for, in the order registered; all of them when a request names
    /// none.
    public let resources: [String]
    /// Where the authorization endpoint may send the browser back (RFC 6749 §3.1.2), compared by `RedirectURI`.
    public let redirectURIs: [String]
    /// Known by its Client ID Metadata Document: its `consumerKey` is the document's URL, and its name and redirect
    /// URIs are its own claims, which the consent page shows as unverified.
    public let knownByDocument: Bool

    /// A replaced secret's hash and the moment it stops being accepted.
    public struct PreviousSecret: Sendable, Hashable {
        public let hash: SecretHash
        public let expiresAt: Date

        public init(hash: SecretHash, expiresAt: Date) {
            self.hash = hash
            self.expiresAt = expiresAt
        }
    }

    public static let defaultRefreshTokenValidity = 14 * 86_400
    public static let defaultReuseMinRemaining = 60

    public init(
        tenantID: Tenant.ID, id: ID, consumerKey: String, secretHash: SecretHash, name: String,
        grantTypes: Set<GrantType>, allowedScopes: ScopeSet, defaultScopes: ScopeSet,
        defaultTokenValidity: Int, maxTokenValidity: Int, enabled: Bool,
        refreshTokenValidity: Int = defaultRefreshTokenValidity, introspectAny: Bool = false,
        tokenReuse: TokenReuse = .never, reuseMinRemaining: Int = defaultReuseMinRemaining,
        previousSecret: PreviousSecret? = nil,
        authenticationMethods: Set<ClientAuthenticationMethod> = ClientAuthenticationMethod.defaults,
        clientKeys: ClientKeySet? = nil, clientKeysURL: String? = nil, tokenFormat: TokenFormat = .opaque,
        resources: [String] = [], redirectURIs: [String] = [], knownByDocument: Bool = false
    ) {
        self.knownByDocument = knownByDocument
        self.redirectURIs = redirectURIs
        self.clientKeysURL = clientKeysURL
        self.tokenFormat = tokenFormat
        self.resources = resources
        self.methodBits = authenticationMethods.reduce(0) { $0 | $1.bit }
        self.clientKeys = clientKeys
        self.tenantID = tenantID
        self.id = id
        self.consumerKey = consumerKey
        self.secretHash = secretHash
        self.name = name
        self.grantTypes = grantTypes
        self.allowedScopes = allowedScopes
        self.defaultScopes = defaultScopes
        self.defaultTokenValidity = defaultTokenValidity
        self.maxTokenValidity = maxTokenValidity
        self.enabled = enabled
        self.refreshTokenValidity = refreshTokenValidity
        self.introspectAny = introspectAny
        self.tokenReuse = tokenReuse
        self.reuseMinRemaining = reuseMinRemaining
        self.previousSecret = previousSecret
    }

    /// Whether the client may authenticate with `method`.
    public func allows(_ method: ClientAuthenticationMethod) -> Bool { methodBits & method.bit != 0 }

    /// Whether `secret` is the current secret, or the previous one before it expires at `now`. Each comparison is
    /// in constant time; the previous hash is only computed when the current one does not match.
    public func acceptsSecret(_ secret: String, at now: Date) -> Bool {
        if secretHash.verifies(secret) { return true }
        guard let previousSecret, now < previousSecret.expiresAt else { return false }
        return previousSecret.hash.verifies(secret)
    }
}
