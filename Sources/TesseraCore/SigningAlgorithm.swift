/// The JWS algorithms a tenant's access tokens may be signed with (RFC 7518 §3.1, RFC 8037): ES256 by default, EdDSA
/// (Ed25519) and RS256 (RSA 2048) when a tenant's verifiers need them. No symmetric algorithm: a resource server
/// verifies with the published public key and holds nothing that could sign.
public enum SigningAlgorithm: String, Sendable, Hashable, CaseIterable {
    case es256 = "ES256"
    case edDSA = "EdDSA"
    case rs256 = "RS256"

    /// A tenant's first key, and the algorithm `tessera key rotate` keeps unless told otherwise.
    public static let standard = SigningAlgorithm.es256

    /// The name as JOSE writes it, and as `--algorithm` takes it.
    public var name: String { rawValue }
}
