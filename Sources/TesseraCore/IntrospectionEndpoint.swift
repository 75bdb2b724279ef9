import Foundation
import Logging

/// Token introspection (RFC 7662): an authenticated application asks whether a token is active.
///
/// An application sees its own tokens; one allowed to introspect any (a resource server) sees every token of
/// its tenant. Everything else (expired, revoked, unknown, malformed, another application's or another
/// tenant's token) is the same `{"active":false}`, so that the answer tells nothing more.
public struct IntrospectionEndpoint: Sendable {

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
        directory: any ClientDirectory, ledger: any TokenLedger, issuer: IssuerURL, throttle: ClientThrottle? = nil,
        assertions: ClientAssertionCheck? = nil, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.authenticator = ClientAuthenticator(
            directory: directory, throttle: throttle, assertions: assertions, now: now)
        self.ledger = ledger
        self.issuer = issuer
        self.now = now
    }

    public func handle(_ request: TokenRequest, logger: Logger) async throws(OAuthError) -> Outcome {
        try await OAuthError.guarding(logger: logger) {
            let (tenant, client, token) = try await authenticator.tokenRequest(request, logger: logger)
            // The hint is only a hint (§2.1): the token's own prefix says what it is.
            guard let reference = TokenReference(token),
                let active = try await ledger.activeToken(reference, tenantID: tenant.id, at: now()),
                active.applicationID == client.id || client.introspectAny
            else { return .inactive }
            return .active(active, issuer: issuer.url(for: tenant))
        }
    }
}
