import Foundation
import Logging

/// Token introspection (RFC 7662): an authenticated application asks whether a token is active.
///
/// An application sees its own tokens; one allowed to introspect any (a resource server) sees every token of
/// its tenant. Everything else (expired, revoked, unknown, malformed, another application's or another
/// tenant's token) is the same `{"active":false}`, so that the answer tells nothing more.
public struct IntrospectionEndpoint: Sendable {
    public static let parameters: Set<String> = ["token", "token_type_hint", "client_id", "client_secret"]
    /// A token of ours is 64 characters; anything much longer is not worth hashing.
    static let maximumTokenLength = 512

    /// The answer: `inactive`, or the active token with the issuer it belongs to.
    public enum Outcome: Sendable, Equatable {
        case inactive
        case active(ActiveToken, issuer: String)
    }

    private let authenticator: ClientAuthenticator
    private let ledger: any TokenLedger
    private let issuer: IssuerURL
    private let now: @Sendable () -> Date

    public init(
        directory: any ClientDirectory, ledger: any TokenLedger, issuer: IssuerURL,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.authenticator = ClientAuthenticator(directory: directory)
        self.ledger = ledger
        self.issuer = issuer
        self.now = now
    }

    public func handle(_ request: TokenRequest, logger: Logger) async throws(OAuthError) -> Outcome {
        try await OAuthError.guarding(logger: logger) {
            let tenant = try await authenticator.tenant(request.tenantDomain)
            try ClientAuthenticator.rejectParametersInQuery(
                request.queryParameterNames, endpointParameters: Self.parameters)
            let client = try await authenticator.client(request, tenant: tenant, logger: logger)
            let token = try Self.presentedToken(request.form)
            // The hint is only a hint (§2.1): the token's own prefix says what it is.
            guard let reference = TokenReference(token),
                let active = try await ledger.activeToken(reference, tenantID: tenant.id, at: now()),
                active.applicationID == client.id || client.introspectAny
            else { return .inactive }
            return .active(active, issuer: issuer.url(for: tenant))
        }
    }

    /// The `token` parameter, required by RFC 7662 §2.1 and RFC 7009 §2.1.
    static func presentedToken(_ form: TokenRequestParameters) throws(OAuthError) -> String {
        guard let token = form["token"] else { throw .invalidRequest("the token parameter is missing") }
        guard token.utf8.count <= maximumTokenLength else { throw .invalidRequest("the token parameter is too long") }
        return token
    }
}
