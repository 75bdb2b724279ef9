/// The installed grants, looked up by `grant_type`. Adding a grant is one `register` call.
public struct GrantRegistry: Sendable {
    private var grants: [GrantType: AnyGrant] = [:]
    /// Every parameter name some grant reads, plus the core's own; kept up to date here, not per request.
    public private(set) var parameterNames = TokenEndpoint.coreParameters
    /// The endpoints the grants bring, which the server serves under each tenant and names in the metadata.
    public private(set) var endpoints: [any GrantEndpoint] = []

    public init() {}

    /// Installs a grant; a second handler for the same grant type replaces the first.
    public mutating func register<Handler: GrantHandler>(_ handler: Handler) {
        grants[Handler.grantType] = AnyGrant(handler)
        parameterNames.formUnion(Handler.parameters)
        let brought = handler.endpoints
        endpoints.removeAll { endpoint in brought.contains { $0.path == endpoint.path } }
        endpoints += brought
    }

    /// The grant types installed, for discovery and for validating application settings.
    public var grantTypes: Set<GrantType> { Set(grants.keys) }

    func grant(for type: GrantType) -> AnyGrant? { grants[type] }
}

/// A grant handler with its request type erased, so that handlers of every shape fit in one registry.
struct AnyGrant: Sendable {
    let clientAuthentication: ClientAuthenticationRequirement
    let repeatableParameters: Set<String>
    let run: @Sendable (TokenRequestParameters, GrantContext) async throws -> TokenResponse

    init<Handler: GrantHandler>(_ handler: Handler) {
        self.clientAuthentication = Handler.clientAuthentication
        self.repeatableParameters = Handler.repeatableParameters.intersection(Handler.parameters)
        self.run = { form, context in
            let request = try handler.parse(form.restricted(to: Handler.parameters))
            return try await handler.handle(request, context: context)
        }
    }
}
