/// A token request as the HTTP layer hands it to the core: already a well-formed form post.
public struct TokenRequest: Sendable {
    /// The tenant from the path (`/t/<tenant>/token`) or the configured default tenant, as sent.
    public let tenantDomain: String
    /// The `Authorization` header, if any.
    public let authorization: String?
    /// The form body, each parameter once.
    public let form: TokenRequestParameters
    /// Names of the parameters in the URL's query string.
    public let queryParameterNames: [String]
    /// The client's IP address: the peer's, or behind a trusted proxy the one it forwarded; nil when unknown.
    public let sourceAddress: String?

    public init(
        tenantDomain: String, authorization: String?, form: TokenRequestParameters, queryParameterNames: [String],
        sourceAddress: String? = nil
    ) {
        self.tenantDomain = tenantDomain
        self.authorization = authorization
        self.form = form
        self.queryParameterNames = queryParameterNames
        self.sourceAddress = sourceAddress
    }
}
