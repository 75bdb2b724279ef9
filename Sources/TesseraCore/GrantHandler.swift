import Logging

/// Whether a grant needs an authenticated client before it runs.
public enum ClientAuthenticationRequirement: Sendable {
    /// The request fails with `invalid_client` unless the client authenticates (the default, RFC 6749 §3.2.1): a
    /// confidential client, with a secret or an assertion.
    case required
    /// A confidential client authenticates, or a public client (`none`) names itself with `client_id`: grants that
    /// bind the request to something only the rightful client holds (PKCE's verifier, a rotated refresh token).
    case publicClientsAllowed
    /// A client may authenticate; when it does not, the grant gets no client.
    case optional
}

/// A grant type's handler: a plugin that the token endpoint dispatches to by `grant_type`.
///
/// The core has done everything common before `handle` runs: the tenant exists, the client authenticated
/// (when required) and is allowed this grant, and the form holds only the parameters the grant declared.
///
/// ```swift
/// struct DeviceCodeGrant: GrantHandler {
///     static let grantType: GrantType = "urn:ietf:params:oauth:grant-type:device_code"
///     static let parameters: Set<String> = ["device_code"]
///     func parse(_ form: TokenRequestParameters) throws(OAuthError) -> String { ... }
///     func handle(_ code: String, context: GrantContext) async throws -> TokenResponse { ... }
/// }
/// registry.register(DeviceCodeGrant(...))
/// ```
public protocol GrantHandler: Sendable {
    /// What the grant parses out of the form: syntax only, checked before any I/O.
    associatedtype Request: Sendable

    static var grantType: GrantType { get }
    /// The form parameters the grant reads; the rest are stripped before `parse` sees the form.
    static var parameters: Set<String> { get }
    /// Those of `parameters` that may be sent more than once (RFC 8707's `resource`); `parse` reads their
    /// values with `form.all(name)`. Any other repeated parameter is refused (RFC 6749 §3.2). None by default.
    static var repeatableParameters: Set<String> { get }
    static var clientAuthentication: ClientAuthenticationRequirement { get }

    func parse(_ form: TokenRequestParameters) throws(OAuthError) -> Request
    func handle(_ request: Request, context: GrantContext) async throws -> TokenResponse

    /// The grant's own HTTP endpoints, served beside the token endpoint under each tenant (the authorization code
    /// grant's `/authorize`). None by default.
    var endpoints: [any GrantEndpoint] { get }
}

extension GrantHandler {
    public static var clientAuthentication: ClientAuthenticationRequirement { .required }
    public static var repeatableParameters: Set<String> { [] }
    public var endpoints: [any GrantEndpoint] { [] }
}

/// The per-request values a grant works with.
public struct GrantContext: Sendable {
    public let tenant: Tenant
    /// The authenticated client; nil only for grants whose client authentication is optional.
    public let client: ClientApplication?
    public var logger: Logger

    public init(tenant: Tenant, client: ClientApplication?, logger: Logger) {
        self.tenant = tenant
        self.client = client
        self.logger = logger
    }

    /// The authenticated client, or `invalid_client` for a grant that was registered as optional.
    public func requireClient() throws(OAuthError) -> ClientApplication {
        guard let client else { throw .invalidClient(detail: "this grant needs an authenticated client") }
        return client
    }
}
