import TesseraCore
import Testing

/// A grant type that exists only in this test target, built on the core's public API alone: it proves that
/// a plugin is dispatched by `grant_type` with no change to the core.
///
/// It reads the one parameter it declares and reports every parameter it was shown, so that tests can see
/// that the core stripped the rest (credentials included).
struct EchoGrant: GrantHandler {
    static let grantType: GrantType = "urn:test:echo"
    static let parameters: Set<String> = ["echo"]
    /// Repeatable, as RFC 8707's `resource` is: every value reaches the grant, in order.
    static let repeatableParameters: Set<String> = ["echo"]

    struct Request: Sendable {
        let echo: String
        let seenParameters: [String]
    }

    let issuer: TokenIssuer

    func parse(_ form: TokenRequestParameters) throws(OAuthError) -> Request {
        #expect(form.names.allSatisfy(Self.parameters.contains), "undeclared parameters: \(form.names.sorted())")
        let echoes = form.all("echo")
        guard !echoes.isEmpty else { throw .invalidRequest("the echo parameter is missing") }
        let echo = echoes.joined(separator: ",")
        return Request(echo: echo, seenParameters: form.names.sorted())
    }

    func handle(_ request: Request, context: GrantContext) async throws -> TokenResponse {
        let client = try context.requireClient()
        if request.echo == "refuse" { throw OAuthError(.invalidGrant, "the echo grant refused") }
        let issued = try await issuer.issue(
            for: client, in: context.tenant, subject: .user(username: "echo:\(request.echo)"),
            scopes: client.defaultScopes, lifetime: 60,
            grantType: Self.grantType)
        return TokenResponse(
            accessToken: issued.accessToken, expiresIn: issued.expiresIn, scope: issued.scope,
            additionalFields: ["echo": request.echo, "seen_parameters": request.seenParameters.joined(separator: " ")])
    }
}

/// A test-only grant that does not require client authentication; it says which client, if any, it was given.
struct AnonymousGrant: GrantHandler {
    static let grantType: GrantType = "urn:test:anonymous"
    static let parameters: Set<String> = []
    static let clientAuthentication = ClientAuthenticationRequirement.optional

    func parse(_ form: TokenRequestParameters) throws(OAuthError) {}

    func handle(_ request: Void, context: GrantContext) async throws -> TokenResponse {
        TokenResponse(
            accessToken: "anonymous", expiresIn: 1, scope: ScopeSet(["public"]),
            additionalFields: ["client": context.client?.consumerKey ?? "none", "tenant": context.tenant.domain])
    }
}
