/// How a client proves itself at the token, introspection and revocation endpoints (RFC 7591 §2's names). Each
/// application allows some of them; a request using another is `invalid_client`.
public enum ClientAuthenticationMethod: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Key and secret in HTTP Basic (RFC 6749 §2.3.1).
    case clientSecretBasic = "client_secret_basic"
    /// Key and secret in the form body (RFC 6749 §2.3.1).
    case clientSecretPost = "client_secret_post"
    /// A JWT signed with the client's own private key (RFC 7523 §2.2): no shared secret exists.
    case privateKeyJWT = "private_key_jwt"

    /// What an application allows unless told otherwise: the two secret methods, as before methods were chosen.
    public static let defaults: Set<ClientAuthenticationMethod> = [.clientSecretBasic, .clientSecretPost]

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The method's bit in `ClientApplication`'s set of allowed methods.
    var bit: UInt8 {
        switch self {
        case .clientSecretBasic: 1
        case .clientSecretPost: 2
        case .privateKeyJWT: 4
        }
    }
}
