/// A tenant's authorization server metadata (RFC 8414 §2), built from the configured issuer and the grants
/// actually installed.
public struct AuthorizationServerMetadata: Sendable, Encodable, Equatable {
    public let issuer: String
    public let tokenEndpoint: String
    public let introspectionEndpoint: String
    public let revocationEndpoint: String
    public let grantTypesSupported: [String]
    public let tokenEndpointAuthMethodsSupported: [String]
    public let introspectionEndpointAuthMethodsSupported: [String]
    public let revocationEndpointAuthMethodsSupported: [String]
    /// Required by RFC 8414 even without an authorization endpoint; no grant here uses one.
    public let responseTypesSupported: [String]

    /// HTTP Basic and the pair in the form body (RFC 6749 §2.3.1), at every endpoint.
    public static let clientAuthenticationMethods = ["client_secret_basic", "client_secret_post"]

    public init(tenant: Tenant, issuer: IssuerURL, grantTypes: Set<GrantType>) {
        let base = issuer.url(for: tenant)
        self.issuer = base
        self.tokenEndpoint = base + "/token"
        self.introspectionEndpoint = base + "/introspect"
        self.revocationEndpoint = base + "/revoke"
        self.grantTypesSupported = grantTypes.map(\.rawValue).sorted()
        self.tokenEndpointAuthMethodsSupported = Self.clientAuthenticationMethods
        self.introspectionEndpointAuthMethodsSupported = Self.clientAuthenticationMethods
        self.revocationEndpointAuthMethodsSupported = Self.clientAuthenticationMethods
        self.responseTypesSupported = []
    }

    enum CodingKeys: String, CodingKey {
        case issuer
        case tokenEndpoint = "token_endpoint"
        case introspectionEndpoint = "introspection_endpoint"
        case revocationEndpoint = "revocation_endpoint"
        case grantTypesSupported = "grant_types_supported"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case introspectionEndpointAuthMethodsSupported = "introspection_endpoint_auth_methods_supported"
        case revocationEndpointAuthMethodsSupported = "revocation_endpoint_auth_methods_supported"
        case responseTypesSupported = "response_types_supported"
    }
}
