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
    /// The algorithms a `private_key_jwt` assertion may be signed with, at each endpoint.
    public let tokenEndpointAuthSigningAlgValuesSupported: [String]
    public let introspectionEndpointAuthSigningAlgValuesSupported: [String]
    public let revocationEndpointAuthSigningAlgValuesSupported: [String]
    /// Required by RFC 8414 even without an authorization endpoint; no grant here uses one.
    public let responseTypesSupported: [String]
    /// Dynamic client registration (RFC 7591), with an initial access token from an administrator.
    public let registrationEndpoint: String
    /// The tenant's signing keys (`GET /jwks`), where this server can sign JWT access tokens.
    public let jwksURI: String?
    /// What the grants' own endpoints add (`authorization_endpoint`, ...); a member named here replaces the same
    /// member above (`response_types_supported`).
    public let endpointMembers: [String: MetadataValue]

    /// HTTP Basic, the pair in the form body (RFC 6749 §2.3.1) and private_key_jwt (RFC 7523), at every endpoint;
    /// each application allows some of them. The token and revocation endpoints also take public clients (`none`).
    public static let clientAuthenticationMethods = ClientAuthenticationMethod.confidential.map(\.rawValue).sorted()
    public static let tokenEndpointAuthenticationMethods = ClientAuthenticationMethod.allCases.map(\.rawValue).sorted()

    public init(
        tenant: Tenant, issuer: IssuerURL, grantTypes: Set<GrantType>, signs: Bool = false,
        endpointMembers: (Tenant, String) -> [String: MetadataValue] = { _, _ in [:] }
    ) {
        let base = issuer.url(for: tenant)
        self.issuer = base
        self.tokenEndpoint = base + "/token"
        self.introspectionEndpoint = base + "/introspect"
        self.revocationEndpoint = base + "/revoke"
        self.registrationEndpoint = base + "/register"
        self.grantTypesSupported = grantTypes.map(\.rawValue).sorted()
        self.tokenEndpointAuthMethodsSupported = Self.tokenEndpointAuthenticationMethods
        self.introspectionEndpointAuthMethodsSupported = Self.clientAuthenticationMethods
        self.revocationEndpointAuthMethodsSupported = Self.tokenEndpointAuthenticationMethods
        self.tokenEndpointAuthSigningAlgValuesSupported = ClientKeySet.algorithms
        self.introspectionEndpointAuthSigningAlgValuesSupported = ClientKeySet.algorithms
        self.revocationEndpointAuthSigningAlgValuesSupported = ClientKeySet.algorithms
        self.responseTypesSupported = []
        self.jwksURI = signs ? base + "/jwks" : nil
        self.endpointMembers = endpointMembers(tenant, base)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let fixed: [(CodingKeys, MetadataValue?)] = [
            (.issuer, .string(issuer)), (.tokenEndpoint, .string(tokenEndpoint)),
            (.introspectionEndpoint, .string(introspectionEndpoint)),
            (.revocationEndpoint, .string(revocationEndpoint)), (.registrationEndpoint, .string(registrationEndpoint)),
            (.grantTypesSupported, .strings(grantTypesSupported)),
            (.tokenEndpointAuthMethodsSupported, .strings(tokenEndpointAuthMethodsSupported)),
            (.introspectionEndpointAuthMethodsSupported, .strings(introspectionEndpointAuthMethodsSupported)),
            (.revocationEndpointAuthMethodsSupported, .strings(revocationEndpointAuthMethodsSupported)),
            (.tokenEndpointAuthSigningAlgValuesSupported, .strings(tokenEndpointAuthSigningAlgValuesSupported)),
            (
                .introspectionEndpointAuthSigningAlgValuesSupported,
                .strings(introspectionEndpointAuthSigningAlgValuesSupported)
            ),
            (
                .revocationEndpointAuthSigningAlgValuesSupported,
                .strings(revocationEndpointAuthSigningAlgValuesSupported)
            ),
            (.responseTypesSupported, .strings(responseTypesSupported)), (.jwksURI, jwksURI.map(MetadataValue.string)),
        ]
        for (key, value) in fixed where endpointMembers[key.rawValue] == nil {
            if let value { try container.encode(value, forKey: key) }
        }
        var added = encoder.container(keyedBy: MemberName.self)
        for (name, value) in endpointMembers { try added.encode(value, forKey: MemberName(name)) }
    }

    /// A member name an endpoint chose.
    struct MemberName: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { self.stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    enum CodingKeys: String, CodingKey {
        case issuer
        case tokenEndpoint = "token_endpoint"
        case introspectionEndpoint = "introspection_endpoint"
        case revocationEndpoint = "revocation_endpoint"
        case registrationEndpoint = "registration_endpoint"
        case grantTypesSupported = "grant_types_supported"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case introspectionEndpointAuthMethodsSupported = "introspection_endpoint_auth_methods_supported"
        case revocationEndpointAuthMethodsSupported = "revocation_endpoint_auth_methods_supported"
        case tokenEndpointAuthSigningAlgValuesSupported = "token_endpoint_auth_signing_alg_values_supported"
        case introspectionEndpointAuthSigningAlgValuesSupported =
            "introspection_endpoint_auth_signing_alg_values_supported"
        case revocationEndpointAuthSigningAlgValuesSupported = "revocation_endpoint_auth_signing_alg_values_supported"
        case responseTypesSupported = "response_types_supported"
        case jwksURI = "jwks_uri"
    }
}
