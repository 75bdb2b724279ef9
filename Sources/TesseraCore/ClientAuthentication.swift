import Foundation

/// How one application's client authenticates: the methods it may use and, for `private_key_jwt`, its public keys:
/// registered as a set, or published by the client at a URL (`jwks_uri`) that the server fetches. Checked when the
/// operator sets it, so that a stored application always has keys for the method that needs them.
public struct ClientAuthentication: Sendable, Hashable {
    public let methods: Set<ClientAuthenticationMethod>
    public let keys: ClientKeySet?
    /// Where the client publishes its keys instead (RFC 7591 `jwks_uri`); never together with `keys`.
    public let keysURL: String?

    /// The two secret methods, no keys: every application's authentication unless the operator chooses.
    public static let secrets = ClientAuthentication(
        checkedMethods: ClientAuthenticationMethod.defaults, keys: nil, keysURL: nil)

    public init(methods: Set<ClientAuthenticationMethod>, keys: ClientKeySet?, keysURL: String? = nil)
        throws(ApplicationSettingsError)
    {
        guard !methods.isEmpty else { throw .init("at least one authentication method is required") }
        // A client either proves itself or is public; one that may do either would let anyone who knows its
        // client_id pass for it.
        if methods.contains(.none), methods.count > 1 {
            throw .init("none (a public client) cannot be combined with another authentication method")
        }
        if keys != nil && keysURL != nil {
            throw .init("give the client's public keys (--jwks-file) or their URL (--jwks-uri), not both")
        }
        if methods.contains(.privateKeyJWT) {
            guard keys != nil || keysURL != nil else {
                throw .init("private_key_jwt needs the client's public keys (--jwks-file or --jwks-uri)")
            }
        } else if keys != nil || keysURL != nil {
            throw .init("public keys are only used by private_key_jwt; add it to the authentication methods")
        }
        self.init(checkedMethods: methods, keys: keys, keysURL: try keysURL.map(Self.checkedKeysURL))
    }

    /// What an operator's choice comes to: `methods` (nil: the two secret methods) with the keys or URL `given`,
    /// else the application's `stored` ones while private_key_jwt stays allowed (a client moved back to secrets
    /// drops them).
    public static func chosen(
        methods: Set<ClientAuthenticationMethod>?, given: ClientKeySet?, givenURL: String? = nil,
        stored: ClientAuthentication?
    ) throws(ApplicationSettingsError) -> ClientAuthentication {
        let methods = methods ?? ClientAuthenticationMethod.defaults
        guard given == nil && givenURL == nil, methods.contains(.privateKeyJWT) else {
            return try ClientAuthentication(methods: methods, keys: given, keysURL: givenURL)
        }
        return try ClientAuthentication(methods: methods, keys: stored?.keys, keysURL: stored?.keysURL)
    }

    /// The longest `jwks_uri` taken.
    public static let maximumKeysURLLength = 2000

    /// A `jwks_uri` as it can be fetched: an absolute https URL without credentials or fragment; http only on a
    /// loopback host, for development (the server fetches from such a host only when told to).
    static func checkedKeysURL(_ text: String) throws(ApplicationSettingsError) -> String {
        guard RedirectURI.isHTTPSOrLoopback(text, maximumLength: maximumKeysURLLength) else {
            throw .init(
                "jwks_uri must be an absolute https URL (http only on a loopback host) of at most \(maximumKeysURLLength) bytes, without credentials or a fragment"
            )
        }
        return text
    }

    /// The methods named, checked: one refusal names the unknown one and lists the known.
    public static func methods(named names: [String]) throws(ApplicationSettingsError) -> Set<
        ClientAuthenticationMethod
    > {
        var methods: Set<ClientAuthenticationMethod> = []
        for name in names {
            guard let method = ClientAuthenticationMethod(rawValue: name) else {
                let known = ClientAuthenticationMethod.allCases.map(\.rawValue).joined(separator: ", ")
                throw .init("unknown authentication method \(name.prefix(80)) (known: \(known))")
            }
            methods.insert(method)
        }
        return methods
    }

    private init(checkedMethods: Set<ClientAuthenticationMethod>, keys: ClientKeySet?, keysURL: String?) {
        self.methods = checkedMethods
        self.keys = keys
        self.keysURL = keysURL
    }

    /// Whether the client holds a secret it can use: an application with only `private_key_jwt` is shown none.
    public var usesSecret: Bool { !methods.isDisjoint(with: ClientAuthenticationMethod.defaults) }

    /// A public client (RFC 6749 §2.1): it proves nothing beyond its `client_id`.
    public static let publicClient = ClientAuthentication(checkedMethods: [.none], keys: nil, keysURL: nil)

    /// Whether the client is public.
    public var isPublic: Bool { methods == [.none] }
}
