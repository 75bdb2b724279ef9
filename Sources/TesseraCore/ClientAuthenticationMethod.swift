/// How a client proves itself at the token, introspection and revocation endpoints (RFC 7591 §2's names). Each
/// application allows some of them; a request using another is `invalid_client`.
public enum ClientAuthenticationMethod: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Key and secret in HTTP Basic (RFC 6749 §2.3.1).
    case clientSecretBasic = "client_secret_basic"
    /// Key and secret in the form body (RFC 6749 §2.3.1).
    case clientSecretPost = "client_secret_post"
    /// A JWT signed with the client's own private key (RFC 7523 §2.2): no shared secret exists.
    case privateKeyJWT = "private_key_jwt"
    /// No proof at all: a public client (RFC 6749 §2.1), a native or browser app that cannot keep a secret, names
    /// itself with `client_id` alone. Only grants that allow public clients accept it (the authorization code grant,
    /// whose PKCE stands in for the secret, and the refresh of its tokens); an application that allows it allows
    /// nothing else.
    case none

    /// What an application allows unless told otherwise: the two secret methods, as before methods were chosen.
    public static let defaults: Set<ClientAuthenticationMethod> = [.clientSecretBasic, .clientSecretPost]

    /// The methods that prove the client: every one but `none`, which introspection and revocation do not take.
    public static let confidential = allCases.filter { $0 != .none }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The method's bit in `ClientApplication`'s set of allowed methods.
    var bit: UInt8 {
        switch self {
        case .clientSecretBasic: 1
        case .clientSecretPost: 2
        case .privateKeyJWT: 4
        case .none: 8
        }
    }
}
