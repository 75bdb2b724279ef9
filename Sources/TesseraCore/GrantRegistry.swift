/// The installed grants, looked up by `grant_type`. Adding a grant is one `register` call.
public struct GrantRegistry: Sendable {
    private var grants: [GrantType: AnyGrant] = [:]

    public init() {}

    /// Installs a grant; a second handler for the same grant type replaces the first.
    public mutating func register<Handler: GrantHandler>(_ handler: Handler) {
        grants[Handler.grantType] = AnyGrant(handler)
    }

    /// The grant types installed, for discovery and for validating application settings.
    public var grantTypes: Set<GrantType> { Set(grants.keys) }

    /// Every parameter name some grant reads, plus the core's own.
    public var parameterNames: Set<String> {
        grants.values.reduce(into: TokenEndpoint.coreParameters) { $0.formUnion($1.parameters) }
    }

    func grant(for type: GrantType) -> AnyGrant? { grants[type] }
}

/// A grant handler with its request type erased, so that handlers of every shape fit in one registry.
struct AnyGrant: Sendable {
    let parameters: Set<String>
    let clientAuthentication: ClientAuthenticationRequirement
    let run: @Sendable (TokenRequestParameters, GrantContext) async throws -> TokenResponse

    init<Handler: GrantHandler>(_ handler: Handler) {
        self.parameters = Handler.parameters
        self.clientAuthentication = Handler.clientAuthentication
        self.run = { form, context in
            let request = try handler.parse(form.restricted(to: Handler.parameters))
            return try await handler.handle(request, context: context)
        }
    }
}
