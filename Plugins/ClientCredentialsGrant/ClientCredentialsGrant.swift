import TesseraCore

/// The client credentials grant (RFC 6749 §4.4): an application trades its own credentials for a token.
///
/// The core has authenticated the client (§4.4.2: "The client MUST authenticate") and checked that it may
/// use this grant; what is left is the scope (§3.3), the resources (RFC 8707) and WSO2's `validity_period` extension.
public struct ClientCredentialsGrant: GrantHandler {
    public static let grantType: GrantType = "client_credentials"
    public static let parameters: Set<String> = ["scope", "validity_period", "resource"]
    public static let repeatableParameters: Set<String> = ["resource"]

    public struct Request: Sendable {
        let scope: String?
        let validityPeriod: String?
        let resources: [String]
    }

    private let issuer: TokenIssuer

    public init(issuer: TokenIssuer) {
        self.issuer = issuer
    }

    public func parse(_ form: TokenRequestParameters) throws(OAuthError) -> Request {
        Request(scope: form["scope"], validityPeriod: form["validity_period"], resources: form.all("resource"))
    }

    public func handle(_ request: Request, context: GrantContext) async throws -> TokenResponse {
        let client = try context.requireClient()
        let scopes = try client.grantedScopes(requested: request.scope)
        let audience = try client.grantedAudience(requested: request.resources)
        let lifetime = try client.tokenLifetime(validityPeriod: request.validityPeriod)
        // §4.4.3: no refresh token; the token speaks for the client itself, so its subject is the consumer key.
        return try await issuer.issue(
            for: client, in: context.tenant, subject: .client(consumerKey: client.consumerKey), scopes: scopes,
            audience: audience, lifetime: lifetime, grantType: Self.grantType)
    }
}

extension ClientCredentialsGrant: InstallableGrant {
    public init(parts: ServerParts) throws {
        self.init(issuer: try parts.require())
    }
}
