/// How one application's client authenticates: the methods it may use and, for `private_key_jwt`, its public keys.
/// Checked when the operator sets it, so that a stored application always has keys for the method that needs them.
public struct ClientAuthentication: Sendable, Hashable {
    public let methods: Set<ClientAuthenticationMethod>
    public let keys: ClientKeySet?

    /// The two secret methods, no keys: every application's authentication unless the operator chooses.
    public static let secrets = ClientAuthentication(checkedMethods: ClientAuthenticationMethod.defaults, keys: nil)

    public init(methods: Set<ClientAuthenticationMethod>, keys: ClientKeySet?) throws(ApplicationSettingsError) {
        guard !methods.isEmpty else { throw .init("at least one authentication method is required") }
        if methods.contains(.privateKeyJWT) {
            guard keys != nil else { throw .init("private_key_jwt needs the client's public keys (--jwks-file)") }
        } else if keys != nil {
            throw .init("public keys are only used by private_key_jwt; add it to the authentication methods")
        }
        self.init(checkedMethods: methods, keys: keys)
    }

    /// What an operator's choice comes to: `methods` (nil: the two secret methods) with the keys `given`, else the
    /// application's `stored` keys while private_key_jwt stays allowed (a client moved back to secrets drops them).
    public static func chosen(
        methods: Set<ClientAuthenticationMethod>?, given: ClientKeySet?, stored: ClientKeySet?
    ) throws(ApplicationSettingsError) -> ClientAuthentication {
        let methods = methods ?? ClientAuthenticationMethod.defaults
        return try ClientAuthentication(
            methods: methods, keys: given ?? (methods.contains(.privateKeyJWT) ? stored : nil))
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

    private init(checkedMethods: Set<ClientAuthenticationMethod>, keys: ClientKeySet?) {
        self.methods = checkedMethods
        self.keys = keys
    }

    /// Whether the client holds a secret it can use: an application with only `private_key_jwt` is shown none.
    public var usesSecret: Bool { !methods.isDisjoint(with: ClientAuthenticationMethod.defaults) }
}
